import { type DescField, type DescMessage, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { isFieldError } from "@bufbuild/protobuf/reflect";
import { invalidArgument } from "../service/errors.js";

/** A message's envelope in a stream: a flags byte and a big-endian length before the message. */
const ENVELOPE_HEADER_BYTES = 5;
const FLAG_COMPRESSED = 0b01;
const FLAG_END_STREAM = 0b10;
const decoder = new TextDecoder("utf-8", { fatal: true });

function fieldNamed(input: DescMessage, key: string): DescField | undefined {
  return input.fields.find((f) => f.jsonName === key || f.name === key);
}

/** An enum given by name must be one of the enum's names (a number is left to the handler's checks). */
function checkEnumName(field: DescField, path: string, value: JsonValue): void {
  const values = field.fieldKind === "enum" || field.fieldKind === "list" ? field.enum?.values : undefined;
  if (typeof value !== "string" || values === undefined) return;
  if (!values.some((v) => v.name === value)) {
    throw invalidArgument(path, `unknown value ${JSON.stringify(value)}`);
  }
}

/**
 * Read one JSON request message as the proto3 JSON mapping does by default: a key that names no
 * field, an enum name the enum does not have, or a value of the wrong type is INVALID_ARGUMENT
 * naming the field, with the service's ErrorInfo (Connect would otherwise ignore unknown keys and
 * names, and a misspelled field would silently be its default).
 */
export function checkJsonMessage(input: DescMessage, bytes: Uint8Array): void {
  let json: JsonValue;
  try {
    json = JSON.parse(decoder.decode(bytes)) as JsonValue;
  } catch {
    throw invalidArgument("request", `is not valid JSON for ${input.typeName}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw invalidArgument("request", `must be a JSON object (${input.typeName})`);
  }
  for (const [key, value] of Object.entries(json)) {
    const field = fieldNamed(input, key);
    if (field === undefined) throw invalidArgument(key, `is not a field of ${input.typeName}`);
    if (!Array.isArray(value)) checkEnumName(field, field.name, value);
    else for (const [i, item] of value.entries()) checkEnumName(field, `${field.name}[${i}]`, item);
  }
  try {
    fromJson(input, json);
  } catch (error) {
    const cause = (error as Error).cause;
    if (isFieldError(cause)) throw invalidArgument(cause.field().name, cause.message);
    throw invalidArgument("request", (error as Error).message);
  }
}

/** Each uncompressed message of an enveloped body (a truncated one is left for Connect to refuse). */
function* envelopedMessages(bytes: Uint8Array): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + ENVELOPE_HEADER_BYTES <= bytes.byteLength; ) {
    const flags = view.getUint8(at);
    const length = view.getUint32(at + 1);
    const start = at + ENVELOPE_HEADER_BYTES;
    if (start + length > bytes.byteLength) return;
    if ((flags & (FLAG_COMPRESSED | FLAG_END_STREAM)) === 0) yield bytes.subarray(start, start + length);
    at = start + length;
  }
}

/**
 * The body of a JSON request, checked by checkJsonMessage before Connect reads it: read whole (the
 * request is one message), checked, then handed on unchanged; the check's error fails the call
 * when Connect reads the body. A body larger than `maxBytes` is handed on unchecked, for Connect to
 * refuse by its own limit.
 */
export async function* strictJsonBody(
  body: AsyncIterable<Uint8Array>,
  input: DescMessage,
  enveloped: boolean,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > maxBytes + ENVELOPE_HEADER_BYTES) {
      yield* chunks;
      yield* { [Symbol.asyncIterator]: () => iterator };
      return;
    }
  }
  const bytes = Buffer.concat(chunks);
  if (enveloped) for (const message of envelopedMessages(bytes)) checkJsonMessage(input, message);
  else checkJsonMessage(input, bytes);
  yield bytes;
}
