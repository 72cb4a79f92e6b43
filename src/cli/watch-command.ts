import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { StatusService, type WatchStatusRequestSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { StatusClient } from "../client/index.js";
import { describeError, UsageError } from "./cli-error.js";
import {
  CLIENT_COMMAND_OPTIONS,
  type ClientCommand,
  DEFAULT_SERVER,
  printJson,
  SERVER_FLAG,
} from "./client-commands.js";
import { connectionFromFlags } from "./connection-flags.js";
import { parseStatusArgument } from "./status-argument.js";

// Errors after which the same watch, resumed from the last revision, can go on.
const RESUMABLE = new Set([Code.Unavailable, Code.ResourceExhausted, Code.Internal, Code.Unknown, Code.Aborted]);
// Between attempts: the first retry comes quickly (a server restart), then each waits twice as long.
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Follow a watch for good: print every event, and when the stream breaks (server restart, slow
 * watcher) resume from the revision after the last one seen, so nothing is missed or repeated.
 */
export async function followWatch(
  client: StatusClient,
  request: MessageInitShape<typeof WatchStatusRequestSchema>,
  options: { printProgress: boolean; target: string; signal?: AbortSignal },
): Promise<void> {
  let next = { ...request };
  // The revision everything up to which has been printed (changes) or shown to be irrelevant (progress).
  let seen: bigint | undefined;
  let backoffMs = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      for await (const response of client.watchStatus(next, { signal: options.signal })) {
        backoffMs = FIRST_BACKOFF_MS;
        const event = response.event;
        if (event.case === "change") {
          if (!event.value.initial) seen = event.value.record?.revision ?? seen;
          printJson(StatusService.method.watchStatus.output, response);
        } else if (event.case === "progress") {
          seen = event.value.revision > (seen ?? 0n) ? event.value.revision : seen;
          if (options.printProgress) printJson(StatusService.method.watchStatus.output, response);
        }
      }
      return;
    } catch (error) {
      if (options.signal?.aborted) return;
      const connectError = ConnectError.from(error);
      if (!RESUMABLE.has(connectError.code)) throw connectError;
      process.stderr.write(
        `watch interrupted: ${describeError(connectError, options.target)}; ` +
          `retrying in ${backoffMs / 1000}s (backing off to ${MAX_BACKOFF_MS / 1000}s)\n`,
      );
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      if (seen !== undefined) next = { ...request, includeInitial: false, startRevision: seen + 1n };
    }
  }
}

/** `watch`. */
export const watchCommand: ClientCommand = {
  help: `Usage: pynenc-status watch [flags]

Print every change as one JSON line, as it happens. On a dropped connection it resumes
from the last revision it saw, so no change is missed or printed twice.

Flags:
  --id ID                  only this invocation (repeatable)
  --status STATUS          only changes to this status (repeatable)
  --runner ID              only changes whose new or previous owner is this runner
  --task ID                only this task's invocations
  --start-revision N       first replay every retained change from revision N
  --include-initial        first print the current matching records
  --progress               also print progress marks
${SERVER_FLAG}`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        id: { type: "string", multiple: true },
        status: { type: "string", multiple: true },
        runner: { type: "string" },
        task: { type: "string" },
        "start-revision": { type: "string" },
        "include-initial": { type: "boolean" },
        progress: { type: "boolean" },
        ...CLIENT_COMMAND_OPTIONS,
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) return "help";
    if (positionals.length > 0) throw new UsageError("watch takes no positional arguments");
    const start = values["start-revision"] ?? "0";
    if (!/^\d+$/.test(start)) throw new UsageError("--start-revision must be a whole number");
    const server = values.server ?? DEFAULT_SERVER;
    const request: MessageInitShape<typeof WatchStatusRequestSchema> = {
      invocationIds: values.id ?? [],
      statuses: (values.status ?? []).map(parseStatusArgument),
      runnerId: values.runner,
      taskId: values.task ?? "",
      startRevision: BigInt(start),
      includeInitial: Boolean(values["include-initial"]),
      namespace: values.namespace ?? "",
    };
    return {
      server,
      connection: connectionFromFlags(values),
      call: (client) => followWatch(client, request, { printProgress: Boolean(values.progress), target: server }),
    };
  },
};
