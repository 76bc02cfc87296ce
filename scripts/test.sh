#!/usr/bin/env bash
# The project's test command: installs the system packages the tests need, then runs the
# whole test suite. Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo test --workspace "$@"
