#!/usr/bin/env bash
# Plans one synthesized stack for a pipeline and leaves in OUT_DIR what the apply job needs:
#   tfplan.enc   the saved plan and the certificate files it was made with, sealed (AES-256-GCM,
#                pipelines/scripts/plan-seal.js): a saved plan holds every variable's value (the PFX
#                passwords too) in clear, so nothing of it leaves this job unencrypted or unauthenticated
#   plan.txt     `terraform show` of it, with sensitive values redacted, for the reviewer who approves
#   .terraform.lock.hcl  so the apply uses exactly the provider builds the plan was made with
#
#   terraform-plan.sh <stack dir> <out dir>
#
# The certificates travel inside the bundle because Terraform reads filebase64(var.<stem>_pfx_path) again
# while applying and refuses a file whose bytes changed since the plan, and a PEM converted twice gives
# different bytes (fresh random salts). So every certificate is staged and the variable points at
# .certificates/<stem>.pfx (relative: terraform -chdir resolves it in the stack dir, wherever the apply job
# puts that), and the apply job needs neither the source files nor their passwords.
#
# Everything in clear (the staged certificates, the saved plan, the bundle before sealing) lives in the
# job's temporary directory ($AGENT_TEMPDIRECTORY / $RUNNER_TEMP, which the agents empty at the start and
# end of every job), never in the workspace: a job killed outright leaves nothing a later job on the same
# agent could read. .certificates in the stack dir is only a link into it.
#
# Environment, per certificate of <stack dir>/deployment.json:
#   source pfx: TF_VAR_<stem>_pfx_path (the file), TF_VAR_<stem>_pfx_password
#   source pem: PEM_FILE_<stem> (chain and unencrypted PKCS#8 key); converted here with a fresh random
#               password, which only the encrypted plan keeps
# and ARM_* (authentication), TF_PLAN_ENCRYPTION_KEY (secret), TF_BACKEND_CONFIG (optional "key=value"
# lines for -backend-config).
set -euo pipefail
stack_dir=$1 out_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=guards.sh
source "$here/guards.sh"
require_secret TF_PLAN_ENCRYPTION_KEY 32
require_remote_state "$stack_dir"
manifest="$stack_dir/deployment.json"
[ -r "$manifest" ] || { echo "error: $manifest is missing; run npm run synth first" >&2; exit 1; }

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

backend_args=()
while IFS= read -r line; do
  [ -n "$line" ] && backend_args+=("-backend-config=$line")
done <<<"${TF_BACKEND_CONFIG:-}"

umask 077
work=$(plan_work_dir "$stack_dir")
staged="$work/certificates"
# Neither the clear plan nor the staged certificates outlive this script, whatever fails; a cancelled
# job's SIGINT/SIGTERM is turned into an exit so that this trap runs then too.
trap 'rm -rf "$work" "$stack_dir/.certificates"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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

terraform -chdir="$stack_dir" init -input=false -no-color "${backend_args[@]}"
terraform -chdir="$stack_dir" plan -input=false -no-color -out="$work/tfplan"
terraform -chdir="$stack_dir" show -no-color "$work/tfplan" >"$out_dir/plan.txt"
tar -C "$work" -cf "$work/bundle.tar" tfplan certificates
node "$here/plan-seal.js" seal "$work/bundle.tar" "$out_dir/tfplan.enc"
cp "$stack_dir/.terraform.lock.hcl" "$out_dir/"
