#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
exec swift test "$@"
