import { format } from "node:util";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./logger.js";

/**
 * Send grpc-js's own log lines (plain text on stderr by default) to `logger` as debug lines.
 * What grpc-js logs at its default level repeats, in its own words, errors that reach the server
 * anyway: a busy port is "No address added out of total 1 resolved" before serve() says which port
 * is in use. It sets grpc-js's one global logger, so the command line calls it, not serve().
 */
export function sendGrpcLogsTo(logger: Logger): void {
  const log = (...args: unknown[]) => logger.debug("grpc-js", { message: format(...args) });
  grpc.setLogger({ error: log, info: log, debug: log });
}
