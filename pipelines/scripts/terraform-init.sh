#!/usr/bin/env bash
# terraform_init STACK_DIR [INIT ARGS...] (sourced): `terraform init` of a synthesized stack in a pipeline,
# with TF_BACKEND_CONFIG's optional "key=value" lines as -backend-config, so a pipeline can point the
# stack's state elsewhere without a new synth. One place for the plan, the apply and the expiry report.
terraform_init() {
  local stack_dir=$1 line
  shift
  local backend_args=()
  while IFS= read -r line; do
    [ -n "$line" ] && backend_args+=("-backend-config=$line")
  done <<<"${TF_BACKEND_CONFIG:-}"
  terraform -chdir="$stack_dir" init -input=false -no-color "$@" "${backend_args[@]}"
}
