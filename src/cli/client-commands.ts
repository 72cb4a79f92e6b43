import { type ParseArgsConfig, parseArgs } from "node:util";
import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { type StatusClient, type StatusClientOptions, StatusService } from "../client/index.js";
import { SERVE_DEFAULTS } from "../server/defaults.js";
import { UsageError } from "./cli-error.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionFromFlags } from "./connection-flags.js";
import { parseStatusArgument } from "./status-argument.js";

/** Where the client commands look for a server: the gRPC port `serve` listens on by default. */
export const DEFAULT_SERVER = SERVE_DEFAULTS.listen;

/** The flags every client command takes. */
export const SERVER_FLAG =
  `  --namespace NS       the namespace of the invocations (default "", the default namespace)\n` +
  `  --server HOST:PORT   the server's gRPC port (default ${DEFAULT_SERVER})\n` +
  CONNECTION_HELP;

/** Print a message as one line of proto3 JSON. */
export function printJson<D extends DescMessage>(schema: D, message: MessageShape<D>): void {
  process.stdout.write(`${toJsonString(schema, message)}\n`);
}

function revisionArgument(flag: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

/** A parsed client command: where and how to connect, and the call to make. */
export interface ParsedClientCommand {
  readonly server: string;
  readonly connection: StatusClientOptions;
  readonly call: (client: StatusClient) => Promise<void>;
}

/** The flags every client command takes: how to reach the server, the namespace, and --help. */
export const CLIENT_COMMAND_OPTIONS = {
  ...CONNECTION_OPTIONS,
  namespace: { type: "string" },
  server: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** A client command: its help, and how it runs once parsed. */
export interface ClientCommand {
  readonly help: string;
  run(args: string[]): Promise<ParsedClientCommand | "help">;
}

function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args,
    options: { ...options, ...CLIENT_COMMAND_OPTIONS },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

/** The `--namespace` value ("" when not given). */
function namespaceFlag(values: Record<string, string | boolean | undefined>): string {
  return (values.namespace as string | undefined) ?? "";
}

/** The positional arguments, which must be exactly `count` (else a usage error naming `usage`). */
function exactPositionals(positionals: string[], count: number, usage: string): string[] {
  if (positionals.length !== count) throw new UsageError(`expected ${usage}`);
  return positionals;
}

/** `get ID`. */
export const getCommand: ClientCommand = {
  help: `Usage: pynenc-status get INVOCATION_ID [--namespace NS] [--server HOST:PORT]\n\nPrint the current record as JSON.\n\nFlags:\n${SERVER_FLAG}`,
  async run(args) {
    const { values, positionals } = parse(args, {});
    if (values.help) return "help";
    const [invocationId] = exactPositionals(positionals, 1, "INVOCATION_ID");
    return {
      server: (values.server as string | undefined) ?? DEFAULT_SERVER,
      connection: connectionFromFlags(values),
      call: async (client) => {
        const response = await client.get({ invocationId, namespace: namespaceFlag(values) });
        printJson(StatusService.method.get.output, response);
      },
    };
  },
};

/** `transition ID STATUS`. */
export const transitionCommand: ClientCommand = {
  help: `Usage: pynenc-status transition INVOCATION_ID STATUS [flags]

Move an invocation to STATUS (pynenc's name, e.g. running, or INVOCATION_STATUS_RUNNING)
and print the new record as JSON.

Flags:
  --runner ID              the runner making the change
  --task ID                task id, read when registering
  --expected-revision N    fail with ABORTED unless the record is at revision N
  --validate-only          check everything, change nothing
${SERVER_FLAG}`,
  async run(args) {
    const { values, positionals } = parse(args, {
      runner: { type: "string" },
      task: { type: "string" },
      "expected-revision": { type: "string" },
      "validate-only": { type: "boolean" },
    });
    if (values.help) return "help";
    const [invocationId, status] = exactPositionals(positionals, 2, "INVOCATION_ID STATUS") as [string, string];
    const request = {
      invocationId,
      status: parseStatusArgument(status),
      runnerId: values.runner as string | undefined,
      taskId: (values.task as string | undefined) ?? "",
      expectedRevision: revisionArgument("--expected-revision", values["expected-revision"] as string | undefined),
      validateOnly: Boolean(values["validate-only"]),
      namespace: namespaceFlag(values),
    };
    return {
      server: (values.server as string | undefined) ?? DEFAULT_SERVER,
      connection: connectionFromFlags(values),
      call: async (client) => printJson(StatusService.method.transition.output, await client.transition(request)),
    };
  },
};

/** `list-available`. */
export const listAvailableCommand: ClientCommand = {
  help: `Usage: pynenc-status list-available [flags]

Print the invocations available for run, oldest first, one JSON record per line
(every page unless --page-size is given).

Flags:
  --task ID          only this task's invocations
  --page-size N      one page of at most N records, then the next page token on stderr
  --page-token T     continue from a page token
${SERVER_FLAG}`,
  async run(args) {
    const { values, positionals } = parse(args, {
      task: { type: "string" },
      "page-size": { type: "string" },
      "page-token": { type: "string" },
    });
    if (values.help) return "help";
    exactPositionals(positionals, 0, "no positional arguments");
    const onePage = values["page-size"] !== undefined;
    const pageSize = Number(values["page-size"] ?? 0);
    if (!Number.isInteger(pageSize)) throw new UsageError("--page-size must be a whole number");
    return {
      server: (values.server as string | undefined) ?? DEFAULT_SERVER,
      connection: connectionFromFlags(values),
      call: async (client) => {
        let pageToken = (values["page-token"] as string | undefined) ?? "";
        const taskId = (values.task as string | undefined) ?? "";
        do {
          const page = await client.listAvailableForRun({
            pageSize,
            pageToken,
            taskId,
            namespace: namespaceFlag(values),
          });
          for (const record of page.records) printJson(StatusService.method.get.output.field.record.message!, record);
          pageToken = page.nextPageToken;
          if (onePage) {
            if (pageToken !== "") process.stderr.write(`next page token: ${pageToken}\n`);
            break;
          }
        } while (pageToken !== "");
      },
    };
  },
};
