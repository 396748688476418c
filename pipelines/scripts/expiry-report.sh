#!/usr/bin/env bash
# The weekly certificate expiry report of one deployed stack (the pipelines' scheduled run): Key Vault's
# current version of each certificate, its expiry, and whether API Management serves that version, read
# from the stack's state by scripts/cert-report.ts. An expiry warning that only Key Vault's e-mail carries
# is easily missed; a scheduled run that fails is not.
#
#   expiry-report.sh <stack dir> <summary file>
#
# Prints the report, writes it as Markdown to <summary file> (for the run's summary page, which the
# pipeline publishes) and exits 1 when a certificate is expired, expires within EXPIRY_WARN_DAYS (default
# 30) days, or APIM serves an older version than Key Vault's; 2 when the report could not be made.
#
# It reads the state only (`terraform show -json`), so it needs read access to the state and no Key Vault
# data plane: the vault's firewall is left as it is. That state document holds every imported PFX and its
# password in clear (azurerm keeps them in state): it is only ever in the job's temporary directory, and
# removed as soon as it has been read.
#
# Environment: ARM_* (authentication, as for the plan), TF_BACKEND_CONFIG (optional "key=value" lines for
# -backend-config), EXPIRY_WARN_DAYS. Needs the project's runtime dependencies (npm ci --omit=dev).
set -euo pipefail
stack_dir=${1:?usage: expiry-report.sh <stack dir> <summary file>}
summary=${2:?usage: expiry-report.sh <stack dir> <summary file>}
here=$(dirname "${BASH_SOURCE[0]}")
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=guards.sh
source "$here/guards.sh"
# shellcheck source-path=SCRIPTDIR source=terraform-init.sh
source "$here/terraform-init.sh"
require_remote_state "$stack_dir"
manifest="$stack_dir/deployment.json"
[ -r "$manifest" ] || { echo "error: $manifest is missing; run npm run synth first" >&2; exit 2; }
environment=$(jq -r '.environment' "$manifest")
warn_days=${EXPIRY_WARN_DAYS:-30}
[[ $warn_days =~ ^[0-9]+$ ]] || { echo "error: EXPIRY_WARN_DAYS is '$warn_days'; expected a whole number of days" >&2; exit 2; }
rm -f "$summary"

umask 077
work=$(plan_work_dir "$stack_dir" expiry)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

terraform_init "$stack_dir"
terraform -chdir="$stack_dir" show -json >"$work/state.json"
status=0
node "$root/scripts/run.js" "$root/scripts/cert-report.ts" --state-json "$work/state.json" --warn-days "$warn_days" >"$work/report.txt" || status=$?
rm -f "$work/state.json"
cat "$work/report.txt"
{
  echo "### Certificate expiry: $environment"
  echo
  case $status in
    0) echo "Every certificate is valid for more than $warn_days days, and API Management serves Key Vault's current version." ;;
    1) echo "**Action needed:** a certificate is expired, expires within $warn_days days, or API Management serves an older version than Key Vault's." ;;
    *) echo "**No report:** scripts/cert-report.ts failed (exit $status); the job's log says why." ;;
  esac
  if [ -s "$work/report.txt" ]; then
    echo
    sed 's/^/- /' "$work/report.txt"
  fi
} >"$summary"
if [ "$status" -eq 1 ]; then
  echo "error: $environment: a certificate is expired, expires within $warn_days days, or is served by APIM in an older version (above)" >&2
fi
exit "$status"
