#!/usr/bin/env bash
# Fails the plan, before Terraform runs, when a resource provider the stack needs is not registered in
# the subscription, and says how to register it.
#
#   check-resource-providers.sh <stack dir>
#
# The stack sets the azurerm provider's resource_provider_registrations to "none": its default registers
# some sixty providers, which a deployer whose roles stop at a resource group may not do. Registering is
# a one-off, subscription-level act; without it the first create fails deep inside an apply with
# MissingSubscriptionRegistration. The namespaces come from <stack dir>/deployment.json
# (resourceProviders).
set -euo pipefail
stack_dir=${1:?usage: check-resource-providers.sh <stack dir>}
manifest="$stack_dir/deployment.json"
[ -r "$manifest" ] || { echo "error: $manifest is missing; run npm run synth first" >&2; exit 1; }
command -v az >/dev/null || { echo "error: az (the Azure CLI) is not on PATH" >&2; exit 1; }

mapfile -t namespaces < <(jq -r '.resourceProviders[]?' "$manifest")
subscription=''
unregistered=0
for namespace in "${namespaces[@]}"; do
  if ! state=$(az provider show --namespace "$namespace" --query registrationState -o tsv 2>&1); then
    # Not knowing is no reason to stop a deployment that may well work.
    echo "warning: could not read the registration state of resource provider $namespace: $(tail -n 1 <<<"$state")" >&2
    continue
  fi
  if [ "$state" = Registered ]; then
    echo "resource provider $namespace is Registered"
    continue
  fi
  [ -n "$subscription" ] || subscription=$(az account show --query id -o tsv) || subscription='(unknown)'
  echo "error: resource provider $namespace is $state in subscription $subscription; register it once with: az provider register --namespace $namespace (needs a subscription-level role)" >&2
  unregistered=$((unregistered + 1))
done
[ "$unregistered" -eq 0 ]
