#!/usr/bin/env bash
# The whole test suite: tools, lint and generated-code checks, then every vitest suite
# (TypeScript, Python, Go and grpcurl clients against real servers).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh
npx --no-install tsc -p .
bash scripts/check-generated.sh
npx --no-install vitest run "$@"
