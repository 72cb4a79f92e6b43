#!/usr/bin/env bash
# buf breaking: within pynenc.status.v1 the API only grows (README, "Versions and compatibility").
# The baseline is the last release tag (vX.Y.Z) reachable from HEAD; before the first release it
# is the commit that added the v1 proto, so nothing committed to v1 since then may break.
# A shallow clone has neither: it fetches the history first, and fails if it cannot.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROTO=proto/pynenc/status/v1/status.proto

if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "buf breaking: a shallow clone; fetching the history it compares against" >&2
  if ! git fetch --quiet --unshallow --tags; then
    echo "buf breaking: cannot fetch the history (git fetch --unshallow failed); clone without --depth" >&2
    exit 1
  fi
fi

tag="$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null || true)"
if [ -n "$tag" ]; then
  baseline="$(git rev-parse "$tag^{commit}")"
  what="the last release, $tag"
else
  baseline="$(git log --format=%H --diff-filter=A -- "$PROTO" | tail -n 1)"
  what="the first v1 proto (commit ${baseline:0:12}; no release tag yet)"
fi
[ -n "$baseline" ] || { echo "buf breaking: no commit adds $PROTO" >&2; exit 1; }
npx --no-install buf breaking --against ".git#ref=$baseline"
echo "buf breaking: proto/ is compatible with $what"
