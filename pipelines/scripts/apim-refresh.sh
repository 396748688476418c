#!/usr/bin/env bash
# After an apply: makes API Management serve Key Vault's current version of every certificate now, and
# proves it, instead of waiting for APIM's own polling of the versionless secret (up to four hours).
#
#   apim-refresh.sh <stack dir>
#
# Per certificate of <stack dir>/deployment.json, with the ids from `terraform output -json`:
#   1. Key Vault's current thumbprint (az keyvault certificate show on the versionless id);
#   2. APIM's Refresh Secret operation on its certificate (Certificate_RefreshSecret), then APIM's
#      thumbprint read back until it equals Key Vault's, for at most APIM_REFRESH_TIMEOUT_SECONDS;
#   3. when the certificate has a backend: the backend presents certificates by thumbprint only, so it
#      is pointed at the new one (PATCH credentials.certificate) and read back;
#   4. a refresh-only apply of the APIM certificates and backends, so that the state (which the weekly
#      expiry report reads) holds what APIM serves now, not what it served when the plan was made.
#      Terraform evaluates the whole configuration even then, so each certificate variable gets a
#      placeholder (the manifest as the file, no password): a refresh-only apply changes nothing in Azure
#      and reads no certificate file's content into state.
# An az CLI step rather than Terraform (a terraform_data provisioner would run only when Terraform decides
# to replace it, and would hide a failure to converge inside an apply that already changed things): it runs
# after every apply, costs one call per certificate when nothing changed, and fails the job by name.
#
# Environment: an az login with rights on the APIM instance (the deploying identity has them);
# APIM_REFRESH_TIMEOUT_SECONDS (default 300), APIM_REFRESH_POLL_SECONDS (default 15); TERRAFORM (default terraform).
set -euo pipefail
stack_dir=${1:?usage: apim-refresh.sh <stack dir>}
manifest="$stack_dir/deployment.json"
[ -r "$manifest" ] || { echo "error: $manifest is missing; run npm run synth first" >&2; exit 1; }
command -v az >/dev/null || { echo "error: az (the Azure CLI) is not on PATH" >&2; exit 1; }
timeout=${APIM_REFRESH_TIMEOUT_SECONDS:-300}
poll=${APIM_REFRESH_POLL_SECONDS:-15}
api='api-version=2024-05-01'
arm='https://management.azure.com'

terraform=${TERRAFORM:-terraform}
outputs=$("$terraform" -chdir="$stack_dir" output -json)
output() { jq -r --arg k "$1" '.[$k].value // empty' <<<"$outputs"; }
upper() { tr '[:lower:]' '[:upper:]'; }

failed=0
mapfile -t stems < <(jq -r '.certificates[] | "\(.stem) \(.name)"' "$manifest")
for entry in "${stems[@]}"; do
  read -r stem name <<<"$entry"
  apim_id=$(output "${stem}_apim_certificate_id")
  secret_id=$(output "${stem}_versionless_secret_id")
  backend_id=$(output "${stem}_backend_id")
  if [ -z "$apim_id" ] || [ -z "$secret_id" ]; then
    echo "error: $name: terraform output has no ${stem}_apim_certificate_id / ${stem}_versionless_secret_id; has the stack been applied?" >&2
    failed=1
    continue
  fi
  # One failed call names its certificate and moves on to the next, instead of ending the script.
  if ! want=$(az keyvault certificate show --id "${secret_id/\/secrets\//\/certificates\/}" --query x509ThumbprintHex -o tsv | upper) || [ -z "$want" ]; then
    echo "error: $name: could not read Key Vault's current version of the certificate" >&2
    failed=1
    continue
  fi
  if ! az rest --method post --url "$arm$apim_id/refreshSecret?$api" --output none; then
    echo "error: $name: API Management refused to refresh the certificate from Key Vault (see above)" >&2
    failed=1
    continue
  fi
  deadline=$((SECONDS + timeout))
  while :; do
    have=$(az rest --method get --url "$arm$apim_id?$api" --query properties.thumbprint -o tsv | upper) || have='(unreadable)'
    [ "$have" = "$want" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: $name: API Management still serves $have after ${timeout}s, not Key Vault's current version $want. Fix: check that APIM's identity may read the secret (Key Vault Secrets User) and passes the vault's firewall, then run pipelines/scripts/apim-refresh.sh $stack_dir again" >&2
      failed=1
      continue 2
    fi
    sleep "$poll"
  done
  shown="$name: API Management serves $want, Key Vault's current version"
  if [ -n "$backend_id" ]; then
    presented=$(az rest --method get --url "$arm$backend_id?$api" --query 'properties.credentials.certificate[0]' -o tsv | upper) || presented='(unreadable)'
    if [ "$presented" != "$want" ]; then
      az rest --method patch --url "$arm$backend_id?$api" --headers 'If-Match=*' \
        --body "{\"properties\":{\"credentials\":{\"certificate\":[\"$want\"]}}}" --output none || true
      presented=$(az rest --method get --url "$arm$backend_id?$api" --query 'properties.credentials.certificate[0]' -o tsv | upper) || presented='(unreadable)'
    fi
    if [ "$presented" != "$want" ]; then
      echo "error: $name: the backend ${backend_id##*/} still presents $presented, not $want. Fix: run pipelines/scripts/apim-refresh.sh $stack_dir again, or terraform apply" >&2
      failed=1
      continue
    fi
    shown="$shown; backend ${backend_id##*/} presents it"
  fi
  echo "$shown"
done

if [ "$failed" -eq 0 ]; then
  mapfile -t targets < <("$terraform" -chdir="$stack_dir" state list | grep -E '^azurerm_api_management_(certificate|backend)\.' || true)
  if [ "${#targets[@]}" -gt 0 ]; then
    placeholders=()
    manifest_path=$(cd "$(dirname "$manifest")" && pwd)/$(basename "$manifest")
    for entry in "${stems[@]}"; do
      read -r stem _ <<<"$entry"
      placeholders+=("TF_VAR_${stem}_pfx_path=$manifest_path" "TF_VAR_${stem}_pfx_password=")
    done
    env "${placeholders[@]}" "$terraform" -chdir="$stack_dir" apply -refresh-only -auto-approve -input=false -no-color "${targets[@]/#/-target=}" >/dev/null ||
      { echo "error: the state could not be refreshed from API Management; the weekly expiry report may show APIM behind until the next apply" >&2; failed=1; }
  fi
fi
exit "$failed"
