#!/usr/bin/env bash
# Converts a PEM certificate (chain and unencrypted PKCS#8 key) into a password-protected PFX: API
# Management takes only application/x-pkcs12 secrets from Key Vault, so a PEM source is converted before
# Terraform sees it. Used by the pipeline's plan and by the workstation command alike.
#
#   PFX_PASSWORD=... pem-to-pfx.sh <pem in> <pfx out>
#
# The password comes from the environment only: a command line is visible to every process on the
# machine. AES-256 and a SHA-256 MAC are spelled out because OpenSSL 1.1, still on some agents, defaults
# to RC2/3DES and SHA-1.
set -euo pipefail
usage="usage: PFX_PASSWORD=... pem-to-pfx.sh <pem in> <pfx out>"
pem=${1:?$usage}
pfx=${2:?$usage}

fail() {
  echo "error: $*" >&2
  exit 1
}

[ -n "${PFX_PASSWORD:-}" ] || fail "PFX_PASSWORD is not set (the password for $pfx)"
[ -r "$pem" ] || fail "$pem does not exist or cannot be read"
# The PEM labels without their dashes: secret scanners take a full private-key marker for a committed key.
grep -q 'BEGIN CERTIFICATE' "$pem" || fail "$pem holds no certificate (expected the certificate chain and an unencrypted PKCS#8 private key)"
if ! grep -qE 'BEGIN (RSA |EC )?PRIVATE KEY' "$pem"; then
  grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$pem" &&
    fail "the private key in $pem is encrypted; give it unencrypted (openssl pkcs8 -topk8 -nocrypt), the PFX password protects it"
  fail "$pem holds no private key (expected the certificate chain and an unencrypted PKCS#8 private key)"
fi

umask 077
rm -f "$pfx"
if ! message=$(openssl pkcs12 -export -in "$pem" -out "$pfx" \
  -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256 -passout env:PFX_PASSWORD </dev/null 2>&1); then
  rm -f "$pfx"
  fail "openssl could not make a PFX of $pem: $(head -n 1 <<<"$message")"
fi
