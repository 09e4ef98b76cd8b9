#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
# Formatting is checked, never fixed here (.swift-format): `swift format format -i -r --parallel Sources Tests
# Package.swift` fixes it. Seconds, and a pull request never mixes a reformat with a change.
if ! swift format lint --strict --parallel -r Sources Tests Package.swift; then
    echo "test.sh: the sources are not formatted as .swift-format says." >&2
    echo "  fix: swift format format -i -r --parallel Sources Tests Package.swift" >&2
    exit 1
fi
# One test at a time: the timing-sensitive cluster tests must not starve behind the CPU-bound simulator on
# two cores (Swift Testing otherwise runs every test in parallel on the shared cooperative pool).
exec swift test --no-parallel "$@"
