#!/usr/bin/env bash
# Preconditions of the pipeline scripts (sourced), each failing with what to fix.

# require_secret NAME [MIN_LENGTH]: the environment variable NAME holds a real value. Azure DevOps leaves
# "$(name)" in place, unexpanded, when a variable group lacks the variable: taken as a password or an
# encryption key that literal would be a public string, so it is refused with the name of what to add.
require_secret() {
  local name=$1 min=${2:-1} value=${!1-}
  # shellcheck disable=SC2016 # the literal text "$(", which Azure DevOps leaves in place
  if [ -z "$value" ] || [[ $value == '$('*')' ]]; then
    echo "error: $name is not set (add it as a secret variable to the environment's variable group)" >&2
    return 1
  fi
  if [ "${#value}" -lt "$min" ]; then
    echo "error: $name is shorter than $min characters; use a long random value (openssl rand -base64 48)" >&2
    return 1
  fi
}

# require_file NAME WHAT: the environment variable NAME holds the path of a readable file (WHAT says
# which), so that a missing certificate stops the job with its name before Terraform runs.
require_file() {
  local name=$1 what=$2 value=${!1-}
  # shellcheck disable=SC2016 # as in require_secret
  if [ -z "$value" ] || [[ $value == '$('*')' ]]; then
    echo "error: $name is not set (the path of $what)" >&2
    return 1
  fi
  if [ ! -r "$value" ]; then
    echo "error: $name names $value, which is not a readable file (the path of $what)" >&2
    return 1
  fi
}

# require_remote_state STACK_DIR: a pipeline agent's disk is thrown away after the job, so a stack
# with local state would forget everything it created (and the state would hold the PFX in clear).
require_remote_state() {
  if tr -d ' \n' <"$1/cdk.tf.json" | grep -q '"backend":{"local"'; then
    echo "error: $1 keeps local state; set state in environments/<env>.ts" >&2
    return 1
  fi
}

# plan_work_dir STACK_DIR [PURPOSE]: a fresh, owner-only directory for one stack's clear plan,
# certificates and state document, in the job's temporary directory (emptied by the agent at the start
# and end of every job), with anything a killed earlier run left there removed first. PURPOSE (default
# plan) names it, so that two scripts of one job never share one.
plan_work_dir() {
  local root=${AGENT_TEMPDIRECTORY:-${RUNNER_TEMP:-}}
  # Outside a pipeline job there is no per-job directory to rely on: a private one of mktemp's.
  [ -n "$root" ] || { mktemp -d; return; }
  local dir
  dir="$root/apimcert-${2:-plan}-$(basename "$1")"
  rm -rf "$dir"
  (umask 077 && mkdir -p "$dir")
  echo "$dir"
}
