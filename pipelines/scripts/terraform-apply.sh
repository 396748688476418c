#!/usr/bin/env bash
# Applies exactly the plan that terraform-plan.sh saved (and a reviewer approved) to one synthesized stack.
# Terraform evaluates the configuration again while applying, so the certificate files must be at the
# paths the plan recorded: the deployment job downloads the same secure files first.
#
#   terraform-apply.sh <stack dir> <plan dir>
# Environment: ARM_* (authentication), TF_PLAN_ENCRYPTION_KEY, TF_BACKEND_CONFIG (as for the plan).
set -euo pipefail
stack_dir=$1 plan_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=guards.sh
source "$here/guards.sh"
require_secret TF_PLAN_ENCRYPTION_KEY 32
require_remote_state "$stack_dir"

backend_args=()
while IFS= read -r line; do
  [ -n "$line" ] && backend_args+=("-backend-config=$line")
done <<<"${TF_BACKEND_CONFIG:-}"

cp "$plan_dir/.terraform.lock.hcl" "$stack_dir/"
terraform -chdir="$stack_dir" init -input=false -no-color -lockfile=readonly "${backend_args[@]}"
umask 077
trap 'rm -f "$stack_dir/tfplan"' EXIT
openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:TF_PLAN_ENCRYPTION_KEY -in "$plan_dir/tfplan.enc" -out "$stack_dir/tfplan"
terraform -chdir="$stack_dir" apply -input=false -no-color tfplan
