#!/usr/bin/env bash
# Every status change of the example's `add` invocations, live, as grpcurl prints them (JSON).
# The app's namespace is its app_id, "pynenc-example"; the task id is module.function, "app.add"
# (pynenc's runners also register invocations of their own core tasks, which this leaves out).
# Usage: ./watch.sh [HOST:PORT] [grpcurl flags...]
set -euo pipefail
ADDRESS="${1:-127.0.0.1:50051}"
shift || true
GRPCURL="${GRPCURL:-grpcurl}"
exec "$GRPCURL" -plaintext "$@" -d '{"namespace": "pynenc-example", "task_id": "app.add", "include_initial": true}' \
  "$ADDRESS" pynenc.status.v1.StatusService/WatchStatus
