"""Generated gRPC client for pynenc-status (package pynenc.status.v1)."""
