#!/usr/bin/env bash
# Prints the directory holding terraform-provider-azurerm 4.55.0 (the version the stacks pin), built once
# into a cache outside the repository, for the lifecycle tests that drive Terraform against the Azure
# emulator (__tests__/lifecycle-on-emulator.test.ts). hashicorp/time 0.13.1, which the stacks also use, is
# built into its own cache beside it. Test tooling only: a user never needs it.
#
#   dir=$(.ci/azurerm-provider.sh) && export APIMCERT_AZURERM_PROVIDER_DIR=$dir
#
# Where the provider comes from, in order:
#   1. the Go module proxy (go install github.com/hashicorp/terraform-provider-azurerm@v4.55.0);
#   2. a git mirror of github.com/hashicorp/terraform-provider-azurerm named by APIMCERT_AZURERM_SOURCE (a
#      git directory, bare or not): the tree of tag v4.55.0 (its commit is checked), built with its own
#      vendor/ directory. A blob the mirror lacks (mirrors may leave out files of 4 MiB and more) is taken
#      from the Go module proxy's copy of the vendored module it belongs to, and must hash to the blob id
#      the tree names.
# When neither works it prints each source's exact error and exits 1: CI then skips the lifecycle tests,
# naming that error (APIMCERT_AZURERM_PROVIDER_UNAVAILABLE), instead of failing.
#
# A cold build takes about 11 minutes on 2 cores and about 3.5 GB of memory; the cached binary is reused
# by every later run. Portable bash (3.2): no associative arrays, no mapfile.
set -euo pipefail

version=4.55.0
# The commit tag v4.55.0 names upstream: a mirror whose tag points elsewhere is refused.
commit=37bf7f03b661b804a59fd62fd6f6e6b8ee4a69df
time_version=0.13.1

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}
dir=$cache_root/apimcert-azurerm/$version
binary=$dir/terraform-provider-azurerm_v$version
time_dir=$cache_root/apimcert-terraform-time/$time_version
time_binary=$time_dir/terraform-provider-time_v$time_version

log() { echo "azurerm-provider: $*" >&2; }

scratch=""
cleanup() { if [ -n "$scratch" ]; then chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"; fi; }
trap cleanup EXIT

need_scratch() {
  if [ -z "$scratch" ]; then scratch=$(mktemp -d "${TMPDIR:-/tmp}/apimcert-azurerm-XXXXXX"); fi
}

# install_file <built file> <final path>: a rename within the final directory, so a reader never sees half a binary.
install_file() {
  mkdir -p "$(dirname "$2")"
  local staged
  staged=$(mktemp "$(dirname "$2")/.staging-XXXXXX")
  cp "$1" "$staged"
  chmod 755 "$staged"
  mv -f "$staged" "$2"
}

proxy_error=""
mirror_error=""
time_error=""

build_from_proxy() {
  need_scratch
  local out=$scratch/proxy-bin errors=$scratch/proxy.err
  mkdir -p "$out"
  if GOBIN=$out GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/hashicorp/terraform-provider-azurerm@v$version" 2>"$errors"; then
    install_file "$out/terraform-provider-azurerm" "$binary"
    return 0
  fi
  proxy_error=$(grep -v '^go: downloading' "$errors" | tr '\n' ' ' | sed 's/  */ /g; s/ $//')
  return 1
}

# The module (from vendor/modules.txt) a vendored path belongs to, as "module version": the longest match.
vendored_module() {
  awk -v p="$1" '
    /^# / { if (substr(p, 1, length($2) + 1) == $2 "/" && length($2) > best) { best = length($2); found = $2 " " $3 } }
    END { if (found != "") print found }
  ' "$2"
}

build_from_mirror() {
  local git_dir=$1
  need_scratch
  local src=$scratch/src index=$scratch/index missing=$scratch/missing.txt tagged
  if ! tagged=$(git --git-dir="$git_dir" rev-parse --verify -q "refs/tags/v$version^{commit}"); then
    mirror_error="$git_dir has no tag v$version"
    return 1
  fi
  if [ "$tagged" != "$commit" ]; then
    mirror_error="tag v$version in $git_dir is commit $tagged, not $commit as upstream"
    return 1
  fi
  # Blobs the mirror does not hold, as "<blob id> <path>".
  git --git-dir="$git_dir" ls-tree -r "v$version" | awk '$2 == "blob" { sub(/^[^\t]*\t/, "", $0); print }' >"$scratch/paths.txt"
  git --git-dir="$git_dir" ls-tree -r "v$version" | awk '$2 == "blob" { print $3 }' |
    git --git-dir="$git_dir" cat-file --batch-check='%(objectname) %(objecttype)' >"$scratch/objects.txt"
  paste -d ' ' "$scratch/objects.txt" "$scratch/paths.txt" | awk '$2 == "missing" { $2 = ""; sub(/  /, " "); print }' >"$missing"
  mkdir -p "$src"
  # A private index: nothing is written into the mirror. The missing blobs are left out of the checkout.
  GIT_INDEX_FILE=$index git --git-dir="$git_dir" read-tree "v$version"
  if [ -s "$missing" ]; then
    cut -d ' ' -f 2- "$missing" | GIT_INDEX_FILE=$index git --git-dir="$git_dir" update-index --force-remove --stdin
  fi
  GIT_INDEX_FILE=$index git --git-dir="$git_dir" --work-tree="$src" checkout-index -a
  while IFS=' ' read -r blob path; do
    case $path in
      vendor/*) ;;
      *) mirror_error="the mirror lacks $path (blob $blob), which is not a vendored file the module proxy could supply"; return 1 ;;
    esac
    local module
    module=$(vendored_module "${path#vendor/}" "$src/vendor/modules.txt")
    if [ -z "$module" ]; then
      mirror_error="the mirror lacks $path (blob $blob), and vendor/modules.txt names no module for it"
      return 1
    fi
    local name=${module% *} mod_version=${module#* } module_dir
    if ! module_dir=$(cd "$scratch" && GOFLAGS= go mod download -json "$name@$mod_version" 2>"$scratch/download.err" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'); then
      mirror_error="the mirror lacks $path; go mod download $name@$mod_version failed: $(tr '\n' ' ' <"$scratch/download.err")"
      return 1
    fi
    local from=$module_dir/${path#vendor/"$name"/}
    if [ ! -f "$from" ] || [ "$(git hash-object "$from")" != "$blob" ]; then
      mirror_error="the mirror lacks $path, and $name@$mod_version from the module proxy does not hold it with blob id $blob"
      return 1
    fi
    mkdir -p "$(dirname "$src/$path")"
    cp "$from" "$src/$path"
    chmod 644 "$src/$path"
    log "$path: taken from $name@$mod_version (module proxy), blob $blob verified"
  done <"$missing"
  log "building terraform-provider-azurerm v$version from $git_dir (vendored modules; about 11 minutes cold on 2 cores)"
  if ! (cd "$src" && GOFLAGS=-mod=vendor GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X 'main.version=$version'" -o "$scratch/terraform-provider-azurerm" .) 2>"$scratch/build.err"; then
    mirror_error="go build failed: $(tail -n 5 "$scratch/build.err" | tr '\n' ' ')"
    return 1
  fi
  install_file "$scratch/terraform-provider-azurerm" "$binary"
}

build_time_provider() {
  need_scratch
  local out=$scratch/time-bin
  mkdir -p "$out"
  if GOBIN=$out GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/hashicorp/terraform-provider-time@v$time_version" 2>"$scratch/time.err"; then
    install_file "$out/terraform-provider-time" "$time_binary"
    return 0
  fi
  time_error=$(grep -v '^go: downloading' "$scratch/time.err" | tr '\n' ' ' | sed 's/  */ /g; s/ $//')
  return 1
}

if ! command -v go >/dev/null 2>&1; then
  if [ ! -x "$binary" ]; then
    echo "error: terraform-provider-azurerm $version is not cached in $dir and there is no go to build it" >&2
    exit 1
  fi
  if [ ! -x "$time_binary" ]; then
    echo "error: terraform-provider-time $time_version is not cached in $time_dir and there is no go to build it" >&2
    exit 1
  fi
fi

if [ ! -x "$binary" ]; then
  started=$(date +%s)
  if build_from_proxy; then
    log "built from the Go module proxy in $(($(date +%s) - started)) s"
  else
    log "the Go module proxy does not serve it: $proxy_error"
    if [ -n "${APIMCERT_AZURERM_SOURCE:-}" ]; then
      if build_from_mirror "$APIMCERT_AZURERM_SOURCE"; then
        log "built from $APIMCERT_AZURERM_SOURCE in $(($(date +%s) - started)) s"
      else
        echo "error: terraform-provider-azurerm $version: the Go module proxy: $proxy_error; the mirror $APIMCERT_AZURERM_SOURCE: $mirror_error" >&2
        exit 1
      fi
    else
      echo "error: terraform-provider-azurerm $version: the Go module proxy: $proxy_error (set APIMCERT_AZURERM_SOURCE to a git mirror of hashicorp/terraform-provider-azurerm to build it from there)" >&2
      exit 1
    fi
  fi
fi

if [ ! -x "$time_binary" ]; then
  if ! build_time_provider; then
    echo "error: terraform-provider-time $time_version (the stacks' hashicorp/time): the Go module proxy: $time_error" >&2
    exit 1
  fi
  log "built terraform-provider-time $time_version from the Go module proxy into $time_dir"
fi

echo "$dir"
