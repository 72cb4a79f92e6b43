"""pynenc.status.v1: status_pb2 (messages) and status_pb2_grpc (StatusServiceStub)."""
