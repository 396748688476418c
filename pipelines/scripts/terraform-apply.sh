#!/usr/bin/env bash
# Applies exactly the plan that terraform-plan.sh saved (and a reviewer approved) to one synthesized stack.
# Terraform evaluates the configuration again while applying, so the certificate files must be there
# with the bytes the plan was made with: they come out of the same sealed bundle as the plan, and the
# plan holds their passwords. This job needs no certificate secret of its own. The clear plan and files
# live in the job's temporary directory only (see terraform-plan.sh).
#
#   terraform-apply.sh <stack dir> <plan dir>
# Environment: ARM_* (authentication), TF_PLAN_ENCRYPTION_KEY, TF_BACKEND_CONFIG (as for the plan).
set -euo pipefail
stack_dir=$1 plan_dir=$2
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=guards.sh
source "$here/guards.sh"
# shellcheck source-path=SCRIPTDIR source=terraform-init.sh
source "$here/terraform-init.sh"
require_secret TF_PLAN_ENCRYPTION_KEY 32
require_remote_state "$stack_dir"

cp "$plan_dir/.terraform.lock.hcl" "$stack_dir/"
terraform_init "$stack_dir" -lockfile=readonly
umask 077
work=$(plan_work_dir "$stack_dir")
trap 'rm -rf "$work" "$stack_dir/.certificates"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Authenticated before anything is unpacked: a bundle changed in transit, or sealed with another key, is
# refused here and Terraform never runs.
node "$here/plan-seal.js" open "$plan_dir/tfplan.enc" "$work/bundle.tar"
# Only the two members the plan job put in are taken out of the bundle.
tar -C "$work" -xf "$work/bundle.tar" tfplan certificates
ln -sfn "$work/certificates" "$stack_dir/.certificates"
terraform -chdir="$stack_dir" apply -input=false -no-color "$work/tfplan"
