#!/usr/bin/env bash
# The whole test suite: tools, type check, format and lint, generated-code checks, then every
# vitest suite (TypeScript, Python, Go and grpcurl clients against real servers). Ends with one
# plain line "tests: N passed, N failed, N skipped" for CI to read.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh
npx --no-install tsc -p .
npx --no-install tsc -p src/dashboard
# Formatting and lint (biome): a new violation fails the run; `npm run format` fixes most.
npx --no-install biome ci --error-on-warnings .
# The Python examples: ruff (pinned in requirements-tools.txt; ruff.toml). The Go programs: gofmt, go vet.
.tools/venv/bin/ruff check .
.tools/venv/bin/ruff format --check .
for module in examples/go-watcher bench/loadgen; do
  unformatted="$(gofmt -l "$module")"
  if [ -n "$unformatted" ]; then
    echo "gofmt would reformat (run gofmt -w):" >&2
    echo "$unformatted" >&2
    exit 1
  fi
  (cd "$module" && go vet ./...)
done
bash scripts/check-generated.sh
# The API only grows within v1: buf breaking against the last release tag (or the first v1 proto).
bash scripts/check-breaking.sh
# dist/, which npm start, the bin and test/e2e/compiled-build.test.ts run.
npm run --silent build
REPORT="$ROOT/.tools/vitest-report.json"
rm -f "$REPORT"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$REPORT" || true
exit "$status"
