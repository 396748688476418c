#!/usr/bin/env bash
# Plans one synthesized stack for a pipeline and leaves in OUT_DIR what the apply job needs:
#   tfplan.enc   the saved plan, encrypted (a saved plan holds every variable's value and the PFX bytes
#                in clear, so it never leaves this job unencrypted)
#   plan.txt     `terraform show` of it, with sensitive values redacted, for the reviewer who approves
#   .terraform.lock.hcl  so the apply uses exactly the provider builds the plan was made with
#
#   terraform-plan.sh <stack dir> <out dir>
# Environment: ARM_* (authentication), TF_VAR_* (certificate paths and passwords),
# TF_PLAN_ENCRYPTION_KEY (secret), TF_BACKEND_CONFIG (optional "key=value" lines for -backend-config).
set -euo pipefail
stack_dir=$1 out_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=guards.sh
source "$here/guards.sh"
require_secret TF_PLAN_ENCRYPTION_KEY 32
for password in $(compgen -e | grep -E '^TF_VAR_.+_pfx_password$' || true); do require_secret "$password"; done
require_remote_state "$stack_dir"
mkdir -p "$out_dir"

backend_args=()
while IFS= read -r line; do
  [ -n "$line" ] && backend_args+=("-backend-config=$line")
done <<<"${TF_BACKEND_CONFIG:-}"

umask 077
# The clear plan never outlives this script, whatever fails.
trap 'rm -f "$stack_dir/tfplan"' EXIT
terraform -chdir="$stack_dir" init -input=false -no-color "${backend_args[@]}"
terraform -chdir="$stack_dir" plan -input=false -no-color -out=tfplan
terraform -chdir="$stack_dir" show -no-color tfplan >"$out_dir/plan.txt"
openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass env:TF_PLAN_ENCRYPTION_KEY -in "$stack_dir/tfplan" -out "$out_dir/tfplan.enc"
cp "$stack_dir/.terraform.lock.hcl" "$out_dir/"
