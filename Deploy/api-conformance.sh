#!/usr/bin/env bash
# API conformance: runs schemathesis (PyPI) against the OpenAPI document a one-member development cluster
# serves, with every check (an undeclared method on a declared path is answered 405 with `Allow`). Starts
# the member in a temporary directory and removes it afterwards. KEYCLUSTER_BINARY skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
command -v st >/dev/null 2>&1 || python3 -m pip install -q schemathesis
binary="${KEYCLUSTER_BINARY:-}"
if [ -z "$binary" ]; then
  swift build --product keycluster >&2
  binary="$(swift build --show-bin-path)/keycluster"
fi
work="$(mktemp -d)"
"$binary" serve --data-dir "$work/data" >"$work/node.log" 2>&1 &
node=$!
trap 'kill "$node" 2>/dev/null; wait "$node" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf --cacert "$work/data/ca.pem" https://127.0.0.1:8101/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
st run https://127.0.0.1:8101/openapi.yaml --tls-verify "$work/data/ca.pem" --checks all \
  --max-examples "${EXAMPLES:-50}"
