import type { IncomingMessage, ServerResponse } from "node:http";
import { cors as connectCors } from "@connectrpc/connect";

/** The origins browsers may call the HTTP port from (`--cors-allow-origin`); `*` means any. */
export type CorsAllowOrigins = readonly string[];

const ALLOW_METHODS = connectCors.allowedMethods.join(", ");
// Connect's and gRPC-Web's request headers, and the bearer token.
const ALLOW_HEADERS = [...connectCors.allowedHeaders, "Authorization"].join(", ");
const EXPOSE_HEADERS = connectCors.exposedHeaders.join(", ");

/**
 * The CORS step of the HTTP port's request pipeline: a request from an allowed origin gets its
 * grant (credentials only for an origin named exactly, never with `*`); a preflight is answered
 * here, with a grant only for an allowed origin. Returns whether the request has been answered.
 * No origin is allowed by default: a page served by the port itself is same-origin and needs none.
 */
export function answerCors(
  request: IncomingMessage,
  response: ServerResponse,
  allowOrigins: CorsAllowOrigins,
): boolean {
  const origin = request.headers.origin;
  if (allowOrigins.length > 0) response.setHeader("vary", "Origin");
  const named = origin !== undefined && allowOrigins.includes(origin);
  const granted = named || (origin !== undefined && allowOrigins.includes("*"));
  if (granted) {
    response.setHeader("access-control-allow-origin", named ? origin : "*");
    if (named) response.setHeader("access-control-allow-credentials", "true");
    response.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
  }
  if (request.method !== "OPTIONS") return false;
  if (granted) {
    response.setHeader("access-control-allow-methods", ALLOW_METHODS);
    response.setHeader("access-control-allow-headers", ALLOW_HEADERS);
    response.setHeader("access-control-max-age", "7200");
  }
  response.writeHead(204).end();
  return true;
}
