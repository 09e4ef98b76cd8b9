#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
# One test at a time: the timing-sensitive cluster tests must not starve behind the CPU-bound simulator on
# two cores (Swift Testing otherwise runs every test in parallel on the shared cooperative pool).
exec swift test --no-parallel "$@"
