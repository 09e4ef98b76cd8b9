#!/usr/bin/env bash
# The main job: installs what is missing, builds keycluster (release), and runs it.
# Today that is the storage benchmark on this machine's disk; the local multi-region cluster replaces it
# once the node and the service exist (see the issues).
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
echo "quickstart: building keycluster (release; a cold build takes a few minutes)" >&2
swift build -c release --product keycluster
binary="$(swift build -c release --show-bin-path)/keycluster"
echo "quickstart: durable LMDB storage on this disk (keycluster bench storage)" >&2
exec "$binary" bench storage "$@"
