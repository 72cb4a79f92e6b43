import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

/** Await a call that must fail; return its ConnectError after checking code, domain and reason. */
export async function expectRpcError(call: Promise<unknown>, code: Code, reason?: string): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  expect(Code[error!.code]).toBe(Code[code]);
  if (reason !== undefined) {
    const info = error!.findDetails(ErrorInfoSchema)[0];
    expect(info?.domain).toBe("status.pynenc");
    expect(info?.reason).toBe(reason);
  }
  return error!;
}
