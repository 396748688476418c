#!/usr/bin/env bash
# Installs one pinned Terraform release, checked against HashiCorp's published SHA-256 sums, and prints
# the directory holding the binary.
#   install-terraform.sh <version> <install root>
set -euo pipefail
version=$1 root=$2
dir="$root/terraform/$version"
if [ ! -x "$dir/terraform" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  base="https://releases.hashicorp.com/terraform/$version"
  zip="terraform_${version}_linux_amd64.zip"
  curl -fsSL --retry 3 -o "$tmp/$zip" "$base/$zip"
  curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/terraform_${version}_SHA256SUMS"
  (cd "$tmp" && grep " $zip\$" SHA256SUMS | sha256sum -c - >&2)
  mkdir -p "$dir" && unzip -o -q "$tmp/$zip" terraform -d "$dir"
fi
echo "$dir"
