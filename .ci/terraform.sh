#!/usr/bin/env bash
# Prints the directory of a Terraform binary for CI machines that have none, building it once from the Go
# module proxy (the only source of Terraform this workplace reaches) into a cache outside the repository.
# 1.8.5: the newest release whose module builds as published (no nested modules replaced by directories
# the module archive does not hold, no godebug setting Go 1.26 refuses), and newer than the 1.7 that
# mock_provider in the *.tftest.hcl files needs. Building takes about 3.5 minutes on 2 cores, once.
set -euo pipefail
version=1.8.5
cache=${XDG_CACHE_HOME:-$HOME/.cache}/apimcert-terraform/$version
if [[ ! -x $cache/terraform ]]; then
  command -v go >/dev/null || { echo "error: no terraform and no go to build one; install Terraform >= 1.7" >&2; exit 1; }
  staging=$(mktemp -d "${TMPDIR:-/tmp}/apimcert-terraform-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  GOBIN=$staging GOFLAGS=-mod=mod go install "github.com/hashicorp/terraform@v$version" >&2
  mkdir -p "$(dirname "$cache")"
  mv -T "$staging" "$cache" 2>/dev/null || [[ -x $cache/terraform ]]
fi
echo "$cache"
