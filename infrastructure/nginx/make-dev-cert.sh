#!/bin/sh
# A self-signed TLS certificate for the local stack's nginx (never for anything public):
#   infrastructure/nginx/make-dev-cert.sh [DIR]     (default: infrastructure/nginx/certs)
# writes DIR/coderev.crt and DIR/coderev.key (RSA 2048, 825 days, CN and SAN localhost +
# 127.0.0.1) unless both exist. `make stack-certs` and `make stack-up` run it. Trust it with
# `curl --cacert infrastructure/nginx/certs/coderev.crt https://localhost/health`.
set -eu
dir=${1:-$(dirname "$0")/certs}
mkdir -p "$dir"
if [ -s "$dir/coderev.crt" ] && [ -s "$dir/coderev.key" ]; then
  echo "$dir/coderev.crt exists"
  exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
  -subj "/CN=localhost/O=coderev local stack" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -keyout "$dir/coderev.key" -out "$dir/coderev.crt" 2>/dev/null
# nginx's master process reads both as root before its workers drop privileges
chmod 600 "$dir/coderev.key"
chmod 644 "$dir/coderev.crt"
echo "wrote $dir/coderev.crt and $dir/coderev.key"
