#!/usr/bin/env bash
# Applies exactly the plan that terraform-plan.sh saved (and a reviewer approved) to one synthesized stack.
# Terraform evaluates the configuration again while applying, so the certificate files must be there
# with the bytes the plan was made with: they come out of the same encrypted bundle as the plan, and the
# plan holds their passwords. This job needs no certificate secret of its own.
#
#   terraform-apply.sh <stack dir> <plan dir>
# Environment: ARM_* (authentication), TF_PLAN_ENCRYPTION_KEY, TF_BACKEND_CONFIG (as for the plan).
set -euo pipefail
stack_dir=$1 plan_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=guards.sh
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
staged="$stack_dir/.certificates"
trap 'rm -rf "$stack_dir/tfplan" "$staged"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rm -rf "$stack_dir/tfplan" "$staged"
# Only the two members the plan job put in are taken out of the bundle.
openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:TF_PLAN_ENCRYPTION_KEY -in "$plan_dir/tfplan.enc" |
  tar -C "$stack_dir" -xf - tfplan .certificates
terraform -chdir="$stack_dir" apply -input=false -no-color tfplan
