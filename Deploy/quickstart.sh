#!/usr/bin/env bash
# The main job: installs what is missing, builds keycluster (release), and runs the demo — a local
# three-region cluster of real processes that loses its leader's region and keeps accepting writes.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
echo "quickstart: building keycluster (release; a cold build takes several minutes)" >&2
swift build -c release --product keycluster
binary="$(swift build -c release --show-bin-path)/keycluster"
echo "quickstart: local three-region cluster (keycluster demo)" >&2
exec "$binary" demo "$@"
