#!/usr/bin/env bash
# Fails when buf lint fails or when gen/ differs from a fresh generation of proto/.
# It regenerates in place, so after a proto change the fix is already in the work tree.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
npx --no-install buf lint
bash scripts/generate.sh >/dev/null
if ! git diff --quiet -- gen || [ -n "$(git ls-files --others --exclude-standard -- gen)" ]; then
  echo "gen/ differs from a fresh generation of proto/ (run npm run generate and commit):" >&2
  git status --short -- gen >&2
  git diff --stat -- gen >&2
  exit 1
fi
(cd gen/go && go vet ./...)
echo "generated code matches proto/; buf lint passes; go vet is clean"
