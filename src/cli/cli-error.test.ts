import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { describeError, UsageError } from "./cli-error.js";

const TARGET = "127.0.0.1:8080";
const errorInfo = (reason: string) => ({ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason }) });
const http2Error = Object.assign(new Error("Protocol error"), { code: "ERR_HTTP2_ERROR" });

describe("describeError: one line that says what went wrong", () => {
  const cases: { name: string; error: unknown; line: RegExp }[] = [
    {
      name: "an answer with a reason: its code, its reason, its message",
      error: new ConnectError("cannot move", Code.FailedPrecondition, undefined, [errorInfo("INVALID_TRANSITION")]),
      line: /^FAILED_PRECONDITION INVALID_TRANSITION: cannot move$/,
    },
    {
      name: "an answer without details: its code and message",
      error: new ConnectError("no such invocation", Code.NotFound),
      line: /^NOT_FOUND: no such invocation$/,
    },
    {
      name: "a server out of reach: the address",
      error: new ConnectError("connect ECONNREFUSED 127.0.0.1:8080", Code.Unavailable),
      line: /^cannot reach the server at 127\.0\.0\.1:8080 \(UNAVAILABLE: connect ECONNREFUSED/,
    },
    {
      name: "HTTP/1.1 where gRPC was expected: the wrong port, and which one to use",
      error: new ConnectError("Protocol error", Code.Internal, undefined, undefined, http2Error),
      line: /^the server at 127\.0\.0\.1:8080 does not speak gRPC .*wrong port.*--listen, default 127\.0\.0\.1:50051/,
    },
    {
      name: "another INTERNAL: as it is",
      error: new ConnectError("internal error", Code.Internal),
      line: /^INTERNAL: internal error$/,
    },
    {
      name: "a usage error: its message",
      error: new UsageError("expected INVOCATION_ID"),
      line: /^expected INVOCATION_ID$/,
    },
    { name: "not an error at all", error: "boom", line: /^boom$/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const line = describeError(c.error, TARGET);
      expect(line).not.toContain("\n");
      expect(line).toMatch(c.line);
    });
  }
});
