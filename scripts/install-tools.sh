#!/usr/bin/env bash
# Installs the pinned code-generation and client tools into <repo>/.tools:
#   .tools/venv  Python: grpcio-tools (protoc + python plugins), grpcio-status, pytest ...
#   .tools/bin   Go: protoc-gen-go, protoc-gen-go-grpc, grpcurl
# Idempotent: each step writes a stamp holding what it installed and is skipped while the
# stamp matches, so a second run is near-instant.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
REQS="$ROOT/scripts/requirements-tools.txt"

# Go tools, pinned (module path@version; the binary name is the last path element).
GO_TOOLS=(
  "google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12"
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2"
  "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"
)

mkdir -p "$TOOLS/bin"

# --- Python virtualenv -------------------------------------------------------------
PY_STAMP="$TOOLS/venv/.installed"
PY_WANT="$(python3 --version 2>&1)|$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$TOOLS/venv/bin/python" && -f "$PY_STAMP" && "$(cat "$PY_STAMP")" == "$PY_WANT" ]]; then
  echo "python tools: up to date"
else
  echo "python tools: installing into $TOOLS/venv"
  rm -rf "$TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
  echo "$PY_WANT" > "$PY_STAMP"
fi

# --- Go binaries -------------------------------------------------------------------
GO_STAMP="$TOOLS/bin/.installed"
GO_WANT="$(go env GOVERSION) ldflags-version ${GO_TOOLS[*]}"
missing=0
for t in "${GO_TOOLS[@]}"; do
  bin="${t%@*}"; bin="${bin##*/}"
  [[ -x "$TOOLS/bin/$bin" ]] || missing=1
done
if [[ $missing == 0 && -f "$GO_STAMP" && "$(cat "$GO_STAMP")" == "$GO_WANT" ]]; then
  echo "go tools: up to date"
else
  echo "go tools: installing into $TOOLS/bin"
  # pkg@version installs ignore any surrounding go.mod; one call per module.
  for t in "${GO_TOOLS[@]}"; do
    # grpcurl takes its --version from this linker flag, as its release builds do; the
    # plugins have no main.version, and the linker ignores the flag for them.
    GOBIN="$TOOLS/bin" go install -ldflags "-X main.version=${t##*@}" "$t"
  done
  echo "$GO_WANT" > "$GO_STAMP"
fi
