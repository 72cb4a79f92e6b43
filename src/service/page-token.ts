import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "./errors.js";

/**
 * What a page token continues: the RPC and every request field that picks and orders the records
 * (namespace, filters, order). A token is only accepted by a request with the same binding.
 */
export type PageBinding = readonly [method: string, ...fields: Array<string | number | null | readonly string[]>];

// A short digest of the binding travels in the token, so that a token used with other filters is
// told apart from a forged one; the signature covers it, so it cannot be edited either.
function bindingDigest(binding: PageBinding): string {
  return createHash("sha256").update(JSON.stringify(binding)).digest("base64url").slice(0, 16);
}

function sign(secret: Buffer, body: string): string {
  return createHmac("sha256", secret).update(body).digest("base64url").slice(0, 22);
}

/**
 * Encode where a page ended (the sort key of its last record) as an opaque token, signed with
 * the store's secret so that it is valid on every replica and across restarts, and bound to the
 * request it continues.
 */
export function pageTokenFromPosition(secret: Buffer, binding: PageBinding, position: number): string {
  const body = Buffer.from(JSON.stringify([position, bindingDigest(binding)])).toString("base64url");
  return `${body}.${sign(secret, body)}`;
}

/**
 * The position of a token made by pageTokenFromPosition for the same binding; INVALID_ARGUMENT
 * (field `page_token`) for a token this store did not sign or one issued for another request.
 */
export function pageTokenToPosition(secret: Buffer, binding: PageBinding, token: string): number {
  const forged = () => invalidArgument("page_token", "is not a page token this service issued");
  const [body, signature, ...rest] = token.split(".");
  if (body === undefined || signature === undefined || rest.length > 0) throw forged();
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw forged();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, "base64url").toString());
  } catch {
    throw forged();
  }
  if (!Array.isArray(value) || value.length !== 2) throw forged();
  const [position, digest] = value as unknown[];
  if (!Number.isSafeInteger(position) || (position as number) < 0 || typeof digest !== "string") throw forged();
  if (digest !== bindingDigest(binding)) {
    throw invalidArgument(
      "page_token",
      "was issued for another request: keep the namespace, filters and order of the first page",
    );
  }
  return position as number;
}
