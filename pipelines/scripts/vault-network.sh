#!/usr/bin/env bash
# Lets this agent through the stack's Key Vault firewall for one job, and closes the gap afterwards.
#
#   vault-network.sh open|close <stack dir>
#
# The vault denies by default and a hosted agent has no fixed address, yet every plan after the first
# import refreshes the certificate from the vault's data plane, and every apply imports into it. So
# `open` adds <agent ip>/32 to the vault's rules for the job, and `close` removes it again: the close
# step runs whatever happened (condition: always() / if: always()), and never fails the job because the
# rule is already gone.
#
# `open` also adds every rule of keyVault.ipRules that the vault lacks: the stack ignores changes to
# ip_rules after creation (so that Terraform neither removes this temporary rule mid-apply nor reports it
# as drift), which leaves converging the configured rules to the pipeline.
#
# On the first apply the vault does not exist yet: `open` leaves a watcher in the background that adds
# the rule as soon as Terraform has created the vault. The stack's RBAC propagation wait, between the
# vault's creation and the first import, gives the rule the time to take effect. The watcher uses the
# step's az login, so `open` must run in the same step as Terraform where the login ends with the step
# (AzureCLI@2 logs out when its step ends).
#
# Reads <stack dir>/deployment.json (keyVault.name/resourceGroupName/created/firewall/ipRules); an
# existing vault (firewall null there) is asked about its firewall.
# Environment:
#   AGENT_NETWORK_ACCESS=false  the agents' egress is already allowed (self-hosted agents, Managed
#                               DevOps Pools, a private endpoint): do nothing
#   AGENT_IP                    the agent's public IPv4, instead of asking IP_LOOKUP_URL
#   IP_LOOKUP_URL               default https://api.ipify.org
#   VAULT_NETWORK_WAIT_SECONDS / _POLL_SECONDS     how long `open` waits for the firewall (180 / 10)
#   VAULT_NETWORK_WATCH_SECONDS / _WATCH_POLL_SECONDS  how long the watcher waits for the vault (2400 / 10)
set -euo pipefail

usage="usage: vault-network.sh open|close <stack dir>"
action=${1:?$usage}
stack_dir=${2:?$usage}
manifest="$stack_dir/deployment.json"
state_root=${AGENT_TEMPDIRECTORY:-${RUNNER_TEMP:-/tmp}}

# Shown as a warning annotation in Azure DevOps and GitHub, as a plain line elsewhere.
warn() {
  if [ -n "${TF_BUILD:-}" ]; then
    echo "##vso[task.logissue type=warning]$*"
  elif [ -n "${GITHUB_ACTIONS:-}" ]; then
    echo "::warning::$*"
  else
    echo "warning: $*" >&2
  fi
}

fail() {
  echo "error: $*" >&2
  exit 1
}

# Key Vault keeps a single address as given or as <ip>/32; both name the same rule.
same_rule() {
  [ "${1%/32}" = "${2%/32}" ]
}

is_configured() {
  local configured
  for configured in "${configured_rules[@]}"; do
    same_rule "$1" "$configured" && return 0
  done
  return 1
}

# The agent's own address: the one the vault sees, so it is asked of a service outside the agent.
agent_ip() {
  local ip=${AGENT_IP:-}
  if [ -z "$ip" ]; then
    ip=$(curl -fsS --max-time 10 "${IP_LOOKUP_URL:-https://api.ipify.org}") ||
      fail "could not look up this agent's public address at ${IP_LOOKUP_URL:-https://api.ipify.org}; set AGENT_IP, or AGENT_NETWORK_ACCESS=false where the agents' egress is already allowed"
  fi
  local octet
  local -a octets
  IFS=. read -r -a octets <<<"$ip"
  [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || fail "this agent's public address is not an IPv4 address: '$ip'"
  for octet in "${octets[@]}"; do
    [ "$((10#$octet))" -le 255 ] || fail "this agent's public address is not an IPv4 address: '$ip'"
  done
  echo "$ip"
}

# Adds the agent's rule and every configured rule the vault lacks. Each add rewrites the vault's
# network ACLs, so rules already there are not sent again.
rule_present() {
  local wanted=$1 present rule
  present=$(az keyvault network-rule list --name "$vault" --resource-group "$resource_group" --query 'ipRules[].value' -o tsv) ||
    fail "could not read the network rules of vault $vault"
  while IFS= read -r rule; do
    [ -n "$rule" ] && same_rule "$rule" "$wanted" && return 0
  done <<<"$present"
  return 1
}

add_rules() {
  local ip=$1 present rule wanted
  local -a existing
  present=$(az keyvault network-rule list --name "$vault" --resource-group "$resource_group" --query 'ipRules[].value' -o tsv) ||
    fail "could not read the network rules of vault $vault"
  mapfile -t existing <<<"$present"
  for wanted in "$ip/32" "${configured_rules[@]}"; do
    for rule in "${existing[@]}"; do
      same_rule "$rule" "$wanted" && continue 2
    done
    az keyvault network-rule add --name "$vault" --resource-group "$resource_group" --ip-address "$wanted" -o none ||
      fail "could not add $wanted to the network rules of vault $vault"
    echo "vault $vault: allowed $wanted"
    existing+=("$wanted")
  done
}

# A firewall change takes a while to reach the data plane. A ForbiddenByRbac (or ByPolicy) answer means the
# request got through the firewall: whether this identity may read certificates is the stack's business.
wait_for_data_plane() {
  local ip=$1 limit=${VAULT_NETWORK_WAIT_SECONDS:-180} poll=${VAULT_NETWORK_POLL_SECONDS:-10} answer
  local deadline=$((SECONDS + limit))
  while :; do
    if answer=$(az keyvault certificate list --vault-name "$vault" -o none 2>&1); then
      echo "vault $vault: its data plane answers this agent ($ip)"
      return 0
    fi
    if [[ $answer == *ForbiddenByRbac* || $answer == *ForbiddenByPolicy* ]]; then
      echo "vault $vault: its firewall lets this agent ($ip) through"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "vault $vault still refuses this agent ($ip) after ${limit} s: $(tail -n 1 <<<"$answer"). If the agent's outbound address is not the one looked up, use agents with a known egress range and AGENT_NETWORK_ACCESS=false"
    fi
    sleep "$poll"
  done
}

# Whether the vault exists, and if so its firewall as Azure has it (vault_access: "<default action>
# <public network access>"): the manifest cannot know an existing vault's. `az keyvault show` exits 3 when
# the vault (or its resource group) does not exist.
read_vault() {
  local status=0
  vault_access=$(az keyvault show --name "$vault" --resource-group "$resource_group" \
    --query "join(' ', [properties.networkAcls.defaultAction || 'Allow', properties.publicNetworkAccess || 'Enabled'])" -o tsv 2>&1) || status=$?
  if [ "$status" -eq 0 ]; then
    return 0
  fi
  if [ "$status" -eq 3 ] || [[ $vault_access =~ ResourceNotFound|ResourceGroupNotFound|was\ not\ found|could\ not\ be\ found ]]; then
    return 1
  fi
  fail "could not look up vault $vault in $resource_group: $(tail -n 1 <<<"$vault_access")"
}

write_state() {
  printf '%s=%s\n' ip "$1" watcher "${2:-}" >"$state_file"
}

read_state() {
  local key value
  state_ip='' state_watcher=''
  while IFS='=' read -r key value; do
    case $key in
      ip) state_ip=$value ;;
      watcher) state_watcher=$value ;;
    esac
  done <"$state_file"
}

open() {
  local ip
  if read_vault; then
    case $vault_access in
      *Disabled)
        echo "vault $vault takes no public traffic: only a private endpoint reaches it, an address rule would not help; nothing to open"
        return 0
        ;;
      Allow*)
        echo "vault $vault lets every address through: nothing to open"
        return 0
        ;;
    esac
    ip=$(agent_ip)
    if rule_present "$ip/32"; then
      # Someone else's rule (a self-hosted agent's permanent egress, a rule added by hand): `close` must not
      # take it away, so nothing is recorded for it.
      echo "vault $vault: $ip/32 is already allowed, not by this job; it stays after the job"
      add_rules "$ip"
      wait_for_data_plane "$ip"
      return 0
    fi
    # Recorded first, so that `close` removes the rule even when a later step of `open` fails.
    write_state "$ip"
    add_rules "$ip"
    wait_for_data_plane "$ip"
    return 0
  fi
  if [ "$created" != true ]; then
    fail "the stack uses the existing vault $vault in $resource_group, which this identity cannot see"
  fi
  ip=$(agent_ip)
  # Detached from the step: its own session (so `close` can stop it with whatever az call it is in), no
  # terminal, and no handle on the step's output, which the agent would otherwise wait for. (macOS, from
  # the workstation command, has no setsid: there `close` stops the watcher alone.)
  local detach=()
  if command -v setsid >/dev/null; then detach=(setsid); fi
  nohup "${detach[@]}" bash "${BASH_SOURCE[0]}" watch "$stack_dir" "$ip" </dev/null >"$state_file.log" 2>&1 &
  write_state "$ip" "$!"
  echo "vault $vault does not exist yet: a watcher (pid $!) adds $ip/32 as soon as Terraform has created it"
}

watch() {
  local ip=$1 limit=${VAULT_NETWORK_WATCH_SECONDS:-2400} poll=${VAULT_NETWORK_WATCH_POLL_SECONDS:-10}
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if az keyvault show --name "$vault" --resource-group "$resource_group" --query id -o tsv >/dev/null 2>&1; then
      add_rules "$ip"
      return 0
    fi
    sleep "$poll"
  done
  echo "vault $vault did not appear within ${limit} s; no rule was added"
}

# A live watcher (an exited one not yet reaped shows as "[bash] <defunct>").
is_watcher() {
  ps -o args= -p "$1" 2>/dev/null | grep -q 'vault-network.sh watch'
}

close() {
  if [ ! -f "$state_file" ]; then
    echo "vault $vault: no rule was opened for this agent, nothing to close"
    return 0
  fi
  read_state
  # Only a process that is still the watcher: its pid may have been reused since it finished.
  if [ -n "$state_watcher" ] && is_watcher "$state_watcher"; then
    # The whole session, with any az call in flight, and gone before the rule is removed: an add that
    # landed after the remove would leave the vault open.
    kill -TERM -- "-$state_watcher" 2>/dev/null || kill -TERM "$state_watcher" 2>/dev/null || true
    local tries=0
    while is_watcher "$state_watcher" && [ "$tries" -lt 50 ]; do
      sleep 0.1
      tries=$((tries + 1))
    done
  fi
  if [ -s "$state_file.log" ]; then
    sed 's/^/watcher: /' "$state_file.log"
  fi
  if [ -z "$state_ip" ]; then
    echo "vault $vault: no address was recorded, nothing to remove"
  elif is_configured "$state_ip"; then
    echo "vault $vault: $state_ip is one of the configured rules, it stays"
  elif az keyvault network-rule remove --name "$vault" --resource-group "$resource_group" --ip-address "$state_ip/32" -o none; then
    echo "vault $vault: removed $state_ip/32"
  else
    warn "could not remove $state_ip/32 from the network rules of vault $vault (already gone, or the vault was never created?); check with: az keyvault network-rule list --name $vault"
  fi
  rm -f "$state_file" "$state_file.log"
}

# watch is internal: what `open` leaves running in the background.
case $action in
  open | close | watch) ;;
  *) fail "$usage" ;;
esac

if [ ! -r "$manifest" ]; then
  [ "$action" = close ] || fail "$manifest is missing; run npm run synth first"
  echo "$manifest is missing: no rule can have been opened from it, nothing to close"
  exit 0
fi
jq -e '.keyVault.name | strings' "$manifest" >/dev/null || fail "$manifest holds no keyVault.name"
{
  read -r vault
  read -r resource_group
  read -r created
  read -r firewall
} < <(jq -r '.keyVault | .name, .resourceGroupName, .created, .firewall' "$manifest")
mapfile -t configured_rules < <(jq -r '.keyVault.ipRules[]?' "$manifest")

# null: an existing vault, whose firewall `open` asks Azure about.
if [ "$firewall" = false ]; then
  echo "vault $vault has no firewall: nothing to $action"
  exit 0
fi
agent_network_access=${AGENT_NETWORK_ACCESS:-true}
# Azure DevOps renders a boolean template parameter as True/False.
if [ "${agent_network_access,,}" = false ]; then
  echo "AGENT_NETWORK_ACCESS is false (this agent's egress is allowed by the vault's rules or reaches it privately): nothing to $action"
  exit 0
fi
command -v az >/dev/null || fail "az (the Azure CLI) is not on PATH"

state_file="$state_root/vault-network-$vault.state"
"$action" "${@:3}"
