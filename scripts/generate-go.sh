#!/usr/bin/env bash
# Generates gen/go: the Go module github.com/pynenc/pynenc-status/gen/go, package statusv1 in
# gen/go/pynenc/status/v1. go.mod is written here with pinned requirements so the output does not
# drift with "latest" (grpc v1.80 is the newest that still says `go 1.24`); `go mod tidy` fills
# go.sum. Only proto/pynenc is generated: google.rpc details come from genproto's errdetails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/gen/go"
for p in protoc-gen-go protoc-gen-go-grpc; do
  [[ -x "$ROOT/.tools/bin/$p" ]] || { echo "missing .tools/bin/$p: run scripts/install-tools.sh" >&2; exit 1; }
done

cd "$ROOT"
rm -rf "$OUT"
mkdir -p "$OUT"
npx --no-install buf generate --template buf.gen.go.yaml --path proto/pynenc

cat > "$OUT/go.mod" <<'MOD'
// Written by scripts/generate-go.sh; do not edit.
module github.com/pynenc/pynenc-status/gen/go

go 1.24.0

require (
	google.golang.org/grpc v1.80.0
	google.golang.org/protobuf v1.36.12
)
MOD
# GOWORK=off: this module stands alone; GOFLAGS=-mod=mod lets tidy write go.sum.
(cd "$OUT" && GOWORK=off GOFLAGS=-mod=mod go mod tidy && GOWORK=off go vet ./...)
echo "generated $OUT"
