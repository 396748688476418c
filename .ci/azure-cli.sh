#!/usr/bin/env bash
# Prints the path of the Azure CLI the emulator tests drive (__tests__/azure-emulator*.test.ts): azure-cli
# from the Python package index, pinned, in a private virtual environment outside the repository, made
# once and reused. A user never needs it: it is test tooling.
set -euo pipefail
version=2.91.0
venv=${XDG_CACHE_HOME:-$HOME/.cache}/apimcert-azure-cli/$version/venv
if [[ ! -x $venv/bin/az ]] || ! "$venv/bin/az" version >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "azure-cli==$version" >&2
fi
echo "$venv/bin/az"
