import { parseArgs } from "node:util";
import { instance as graphviz } from "@viz-js/viz";
import { createStatusClient } from "../client/index.js";
import { stateDiagramDot, stateDiagramMermaid } from "../core/index.js";
import { SERVE_DEFAULTS } from "../server/defaults.js";
import { statusConfigurationFromProto } from "../service/proto-conversions.js";
import { UsageError } from "./cli-error.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionFromFlags } from "./connection-flags.js";
import { parseStateMachineArgument, STATE_MACHINE_CHOICES } from "./state-machine-argument.js";

/** `pynenc-status render --help`. */
export const RENDER_HELP = `Usage: pynenc-status render [--format mermaid|dot|svg] [--state-machine P | --server HOST:PORT]

Draw the state machine, as pynenc's own "status render" does: from this build's definitions,
or with --server from a running server's DescribeStateMachine.

Flags:
  --format mermaid|dot|svg   Mermaid state diagram, Graphviz DOT, or SVG drawn by Graphviz
                             (default mermaid)
  --state-machine ${STATE_MACHINE_CHOICES}
                             which of this build's state machines (default ${SERVE_DEFAULTS.stateMachine})
  --server HOST:PORT         ask this server for its definitions (and profile), connecting with:
${CONNECTION_HELP}`;

const FORMATS = ["mermaid", "dot", "svg"] as const;

/** Run `render`: print the diagram on stdout. */
export async function runRender(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      format: { type: "string" },
      "state-machine": { type: "string" },
      server: { type: "string" },
      ...CONNECTION_OPTIONS,
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(RENDER_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError("render takes no positional arguments");
  const format = (values.format ?? "mermaid") as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
  if (values.server !== undefined && values["state-machine"] !== undefined) {
    throw new UsageError("give --state-machine or --server, not both");
  }
  let config = parseStateMachineArgument(values["state-machine"] ?? SERVE_DEFAULTS.stateMachine);
  if (values.server !== undefined) {
    // Checked like a table loaded at start-up: a server's answer must be a consistent state machine.
    config = statusConfigurationFromProto(
      await createStatusClient(values.server, connectionFromFlags(values)).describeStateMachine({}),
    );
  }
  if (format === "mermaid") process.stdout.write(stateDiagramMermaid(config));
  else if (format === "dot") process.stdout.write(stateDiagramDot(config));
  else process.stdout.write((await graphviz()).renderString(stateDiagramDot(config), { format: "svg" }));
  return 0;
}
