#!/usr/bin/env bash
# Regenerates everything under gen/ from proto/: TypeScript (buf + protoc-gen-es from npm),
# Python (grpcio-tools) and Go (protoc-gen-go, protoc-gen-go-grpc). Local plugins only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh >/dev/null
npx --no-install buf generate
bash scripts/generate-python.sh
bash scripts/generate-go.sh
