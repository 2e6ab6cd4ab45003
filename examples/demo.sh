#!/usr/bin/env bash
# The embedded demo: grows with each capability.
set -euo pipefail
cd "$(dirname "$0")/.."
node dist/src/cli/main.js --help
