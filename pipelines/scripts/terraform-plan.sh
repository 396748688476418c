#!/usr/bin/env bash
# Plans one synthesized stack for a pipeline and leaves in OUT_DIR what the apply job needs:
#   tfplan.enc   the saved plan and the certificate files it was made with, sealed (AES-256-GCM,
#                pipelines/scripts/plan-seal.js): a saved plan holds every variable's value (the PFX
#                passwords too) in clear, so nothing of it leaves this job unencrypted or unauthenticated
#   plan.txt     `terraform show` of it, with sensitive values redacted, for the reviewer who approves
#   .terraform.lock.hcl  so the apply uses exactly the provider builds the plan was made with
# and what the approver reads on the run's summary page (the pipeline publishes it, also when this fails):
#   summary.md   what each certificate file does to the certificate Key Vault holds (new, unchanged,
#                rotating old → new, with expiry dates: scripts/cert-rotation.ts), then the plan's
#                "Plan: N to add, ..." line and the address of every resource it changes. Terraform's own
#                plan only says "contents (sensitive) changed". Names, short thumbprints, dates and
#                addresses only: no variable's value, no file path.
#
#   terraform-plan.sh <stack dir> <out dir>
#
# The rotation is reviewed before anything is staged, with the certificate variables as the pipeline gave
# them, against the certificates in the stack's state (`terraform show -json`; none yet: all new). A
# certificate that expires before the one in place stops the plan, unless ALLOW_EARLIER_EXPIRY is 1 or
# true: renewing must never quietly go back to an older certificate. That state document holds every
# imported PFX and its password in clear (azurerm keeps them in state), so it is only ever in the job's
# temporary work directory, and removed as soon as it has been read.
#
# The certificates travel inside the bundle because Terraform reads filebase64(var.<stem>_pfx_path) again
# while applying and refuses a file whose bytes changed since the plan, and a PEM converted twice gives
# different bytes (fresh random salts). So every certificate is staged and the variable points at
# .certificates/<stem>.pfx (relative: terraform -chdir resolves it in the stack dir, wherever the apply job
# puts that), and the apply job needs neither the source files nor their passwords.
#
# Everything in clear (the state document, the staged certificates, the saved plan, the bundle before
# sealing) lives in the job's temporary directory ($AGENT_TEMPDIRECTORY / $RUNNER_TEMP, which the agents
# empty at the start and end of every job), never in the workspace: a job killed outright leaves nothing a
# later job on the same agent could read. .certificates in the stack dir is only a link into it.
#
# Environment, per certificate of <stack dir>/deployment.json:
#   source pfx: TF_VAR_<stem>_pfx_path (the file), TF_VAR_<stem>_pfx_password
#   source pem: PEM_FILE_<stem> (chain and unencrypted PKCS#8 key); converted here with a fresh random
#               password, which only the encrypted plan keeps
# and ARM_* (authentication), TF_PLAN_ENCRYPTION_KEY (secret), TF_BACKEND_CONFIG (optional "key=value"
# lines for -backend-config), ALLOW_EARLIER_EXPIRY (optional). Needs the project's runtime dependencies
# (npm ci --omit=dev) for scripts/cert-rotation.ts.
set -euo pipefail
stack_dir=$1 out_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=guards.sh
source "$here/guards.sh"
# shellcheck source-path=SCRIPTDIR source=terraform-init.sh
source "$here/terraform-init.sh"
require_secret TF_PLAN_ENCRYPTION_KEY 32
require_remote_state "$stack_dir"
manifest="$stack_dir/deployment.json"
[ -r "$manifest" ] || { echo "error: $manifest is missing; run npm run synth first" >&2; exit 1; }
environment=$(jq -r '.environment' "$manifest")
# Azure DevOps renders its boolean parameter as True or False, GitHub its boolean input as true, false or
# (on a push) nothing, and a variable Azure DevOps does not know arrives as the text $(name): only 1 or
# true, in any case, allows an earlier expiry.
case ${ALLOW_EARLIER_EXPIRY:-} in
  1 | [Tt][Rr][Uu][Ee]) export ALLOW_EARLIER_EXPIRY=1 ;;
  *) unset ALLOW_EARLIER_EXPIRY ;;
esac

# Every input is checked before anything is written or run, each missing one named.
mapfile -t certificates < <(jq -r '.certificates[]? | "\(.stem) \(.source)"' "$manifest")
for certificate in "${certificates[@]}"; do
  read -r stem format <<<"$certificate"
  [[ $stem =~ ^[a-z0-9_]+$ ]] || { echo "error: $manifest: certificate stem '$stem' is not lower-case letters, digits and _" >&2; exit 1; }
  case $format in
    pfx)
      require_file "TF_VAR_${stem}_pfx_path" "certificate $stem's PFX file"
      require_secret "TF_VAR_${stem}_pfx_password"
      ;;
    pem) require_file "PEM_FILE_${stem}" "certificate $stem's PEM file" ;;
    *) echo "error: $manifest: certificate $stem has source '$format'; expected pfx or pem" >&2; exit 1 ;;
  esac
done
mkdir -p "$out_dir"
summary="$out_dir/summary.md"
rm -f "$summary"

umask 077
work=$(plan_work_dir "$stack_dir")
staged="$work/certificates"
# Neither the clear plan, the state document nor the staged certificates outlive this script, whatever
# fails; a cancelled job's SIGINT/SIGTERM is turned into an exit so that this trap runs then too.
trap 'rm -rf "$work" "$stack_dir/.certificates"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

terraform_init "$stack_dir"

# The rotation review, with the certificate variables still as given (staging below renames them).
if [ "${#certificates[@]}" -gt 0 ]; then
  terraform -chdir="$stack_dir" show -json >"$work/state.json"
  rotation=0
  node "$root/scripts/run.js" "$root/scripts/cert-rotation.ts" "$environment" --state-json "$work/state.json" --markdown "$work/rotation.md" || rotation=$?
  rm -f "$work/state.json"
  [ ! -f "$work/rotation.md" ] || cp "$work/rotation.md" "$summary"
  if [ "$rotation" -ne 0 ]; then
    # Exit 1 with the table written: an earlier expiry was refused. Exit 1 without it: a file failed the
    # pre-flight, whose findings are printed above; any other exit: cert-rotation's own error, also above.
    if [ "$rotation" -eq 1 ] && [ -f "$work/rotation.md" ]; then
      printf '\n**Not planned:** a certificate expires before the one in Key Vault. If that is intended, run the pipeline again with allowEarlierExpiry (Azure DevOps) or allow-earlier-expiry (GitHub) set.\n' >>"$summary"
      echo "error: the plan of $environment stops here: a certificate expires before the one in place. If that is intended, run the pipeline again with allowEarlierExpiry (Azure DevOps) or allow-earlier-expiry (GitHub) set (ALLOW_EARLIER_EXPIRY=1)" >&2
    else
      echo "error: the certificate rotation review of $environment failed (scripts/cert-rotation.ts, exit $rotation); nothing was planned" >&2
    fi
    exit 1
  fi
  [ -z "${ALLOW_EARLIER_EXPIRY:-}" ] || printf '\nThis run allows a certificate that expires before the one in place (ALLOW_EARLIER_EXPIRY).\n' >>"$summary"
fi

mkdir "$staged"
ln -sfn "$staged" "$stack_dir/.certificates"
for certificate in "${certificates[@]}"; do
  read -r stem format <<<"$certificate"
  if [ "$format" = pfx ]; then
    path_var="TF_VAR_${stem}_pfx_path"
    cp -- "${!path_var}" "$staged/$stem.pfx"
  else
    pem_var="PEM_FILE_${stem}"
    password=$(openssl rand -base64 32)
    PFX_PASSWORD=$password bash "$here/pem-to-pfx.sh" "${!pem_var}" "$staged/$stem.pfx"
    export "TF_VAR_${stem}_pfx_password=$password"
  fi
  export "TF_VAR_${stem}_pfx_path=.certificates/$stem.pfx"
done
unset password

terraform -chdir="$stack_dir" plan -input=false -no-color -out="$work/tfplan"
terraform -chdir="$stack_dir" show -no-color "$work/tfplan" >"$out_dir/plan.txt"
# The plan's JSON holds sensitive values in clear: it goes straight into jq, which keeps the addresses
# and actions only.
changes=$(terraform -chdir="$stack_dir" show -json "$work/tfplan" | jq -r '
  .resource_changes[]? | select(.change.actions != ["no-op"])
  | "- **\(.change.actions | if . == ["delete", "create"] or . == ["create", "delete"] then "replace" else join(", ") end)** `\(.address)`"')
separator=''
[ ! -s "$summary" ] || separator=$'\n'
{
  printf '%s' "$separator"
  echo "### Plan: $environment"
  echo
  grep -m 1 -E '^Plan: ' "$out_dir/plan.txt" || echo 'No changes to resources.'
  [ -z "$changes" ] || printf '\n%s\n' "$changes"
} >>"$summary"
tar -C "$work" -cf "$work/bundle.tar" tfplan certificates
node "$here/plan-seal.js" seal "$work/bundle.tar" "$out_dir/tfplan.enc"
cp "$stack_dir/.terraform.lock.hcl" "$out_dir/"
