#!/usr/bin/env bash
# The main job: run by `tools/run demo` after the build. Works under ./var/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
exec build/tools/dvs-ledger-demo var/demo
