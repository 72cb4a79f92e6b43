import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { grpcFrameHeader } from "../helpers/http2-abuse.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

interface ConnectErrorBody {
  code?: string;
  message?: string;
  details?: Array<{ type: string; debug?: { reason?: string; metadata?: Record<string, string> } }>;
}

/** POST a Connect unary call with this JSON text as its body. */
async function unary(method: string, body: string): Promise<{ status: number; json: ConnectErrorBody }> {
  const response = await fetch(`http://${server.server.httpAddress}/pynenc.status.v1.StatusService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, json: (await response.json()) as ConnectErrorBody };
}

/** The end-of-stream message of a Connect server-streaming call with this JSON text as its request. */
async function stream(method: string, body: string): Promise<{ error?: ConnectErrorBody }> {
  const message = Buffer.from(body);
  const response = await fetch(`http://${server.server.httpAddress}/pynenc.status.v1.StatusService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/connect+json" },
    body: Buffer.concat([grpcFrameHeader(message.length), message]),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  // The first envelope of a call refused before it starts is its end of stream (flag 0b10).
  expect(bytes[0]! & 0b10).toBe(0b10);
  return JSON.parse(bytes.subarray(5, 5 + bytes.readUInt32BE(1)).toString()) as { error?: ConnectErrorBody };
}

const errorInfo = (body: ConnectErrorBody | undefined) =>
  body?.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug;

const cases = [
  {
    name: "an unknown enum name",
    method: "Transition",
    body: { invocationId: "j-1", status: "INVOCATION_STATUS_FOO" },
    field: "status",
    mentions: "INVOCATION_STATUS_FOO",
  },
  { name: "a misspelled field", method: "Transition", body: { invocationId: "j-2", taskID: "t" }, field: "taskID" },
  {
    name: "a value of the wrong type",
    method: "Transition",
    body: { invocationId: "j-3", status: "INVOCATION_STATUS_REGISTERED", expectedRevision: "abc" },
    field: "expected_revision",
  },
  { name: "a JSON array", method: "Get", body: [1, 2], field: "request" },
];

describe("Connect JSON is read as the proto3 JSON mapping reads it", () => {
  for (const c of cases) {
    test(`${c.name} is INVALID_ARGUMENT naming the field, with ErrorInfo, and changes nothing`, async () => {
      const { status, json } = await unary(c.method, JSON.stringify(c.body));
      expect(status).toBe(400);
      expect(json.code).toBe("invalid_argument");
      expect(errorInfo(json)).toMatchObject({ reason: "INVALID_ARGUMENT", metadata: { field: c.field } });
      if (c.mentions !== undefined) expect(json.message).toContain(c.mentions);
      const id = (c.body as { invocationId?: string }).invocationId;
      if (id !== undefined)
        expect((await unary("Get", JSON.stringify({ invocationId: id }))).json.code).toBe("not_found");
    });
  }

  test("text that is not JSON is INVALID_ARGUMENT with ErrorInfo", async () => {
    const { status, json } = await unary("Get", "{not json");
    expect(status).toBe(400);
    expect(errorInfo(json)).toMatchObject({ reason: "INVALID_ARGUMENT", metadata: { field: "request" } });
  });

  test("an unknown enum name in a stream's request (WatchStatus statuses) names its place in the list", async () => {
    const { error } = await stream("WatchStatus", JSON.stringify({ statuses: ["INVOCATION_STATUS_RUNNING", "NOPE"] }));
    expect(error?.code).toBe("invalid_argument");
    expect(errorInfo(error)).toMatchObject({ reason: "INVALID_ARGUMENT", metadata: { field: "statuses[1]" } });
  });

  test("both the JSON names and the proto names of fields are accepted, as the mapping says", async () => {
    const camel = await unary(
      "Transition",
      JSON.stringify({ invocationId: "j-ok-1", status: "INVOCATION_STATUS_REGISTERED" }),
    );
    const snake = await unary(
      "Transition",
      JSON.stringify({ invocation_id: "j-ok-2", status: "INVOCATION_STATUS_REGISTERED", task_id: "t" }),
    );
    expect([camel.status, snake.status]).toEqual([200, 200]);
  });
});
