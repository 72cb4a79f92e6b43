import { createHmac, timingSafeEqual } from "node:crypto";

/** Where a ListAvailableForRun page ends, and the filter it was read with. */
export interface PagePosition {
  readonly afterRevision: number;
  readonly taskId: string;
}

// Tokens are signed so that a forged or edited token is rejected instead of read as a position.
// The key is fixed so that tokens stay valid across restarts and replicas; they carry no secret.
const KEY = "pynenc-status/page-token/v1";

function sign(body: string): string {
  return createHmac("sha256", KEY).update(body).digest("base64url").slice(0, 16);
}

/** Encode a page position as an opaque token. */
export function pageTokenFromPosition(position: PagePosition): string {
  const body = Buffer.from(JSON.stringify([position.afterRevision, position.taskId])).toString("base64url");
  return `${body}.${sign(body)}`;
}

/** Decode a token made by pageTokenFromPosition; undefined when it is not one. */
export function pageTokenToPosition(token: string): PagePosition | undefined {
  const [body, signature, ...rest] = token.split(".");
  if (body === undefined || signature === undefined || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(body, "base64url").toString());
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [afterRevision, taskId] = value as unknown[];
    if (!Number.isSafeInteger(afterRevision) || (afterRevision as number) < 0 || typeof taskId !== "string") {
      return undefined;
    }
    return { afterRevision: afterRevision as number, taskId };
  } catch {
    return undefined;
  }
}
