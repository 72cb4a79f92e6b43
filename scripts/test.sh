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
REPORTS="$ROOT/.tools/vitest-reports"
rm -rf "$REPORTS" "$ROOT/.tools/vitest-report.json"
mkdir -p "$REPORTS"
status=0
vitest() { # vitest run, its JSON report into $REPORTS/$1.json
  local name="$1"
  shift
  npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORTS/$name.json" "$@" || status=$?
}
# pynenc's own suites (test/e2e/pynenc-plugin.test.ts, many minutes, four pytest processes) run
# after everything else rather than beside it: on two cores, the other suites' timing tests would
# share the machine with them. Given arguments (a file or a filter), one run takes them as they are.
PLUGIN_SUITES=test/e2e/pynenc-plugin.test.ts
if [ "$#" -eq 0 ]; then
  vitest main --exclude "$PLUGIN_SUITES"
  vitest plugin "$PLUGIN_SUITES"
else
  vitest main "$@"
fi
node -e '
  const fs = require("node:fs");
  const path = require("node:path");
  const dir = process.argv[1];
  const reports = fs.readdirSync(dir).map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")));
  const sum = (key) => reports.reduce((total, r) => total + r[key], 0);
  const skipped = sum("numPendingTests") + sum("numTodoTests");
  console.log(`tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${skipped} skipped`);
' "$REPORTS" || true
exit "$status"
