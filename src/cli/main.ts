import { createStatusClient } from "../client/index.js";
import { describeError, UsageError } from "./cli-error.js";
import { type ClientCommand, getCommand, listAvailableCommand, transitionCommand } from "./client-commands.js";
import { runRender } from "./render-command.js";
import { runServe, SERVE_HELP } from "./serve-command.js";
import { VERSION } from "./version.js";
import { watchCommand } from "./watch-command.js";

const HELP = `Usage: pynenc-status COMMAND [flags]

The status service of pynenc task invocations, and a client for it.

Commands:
  serve            serve the gRPC, Connect and gRPC-Web ports
  get              print one invocation's record
  transition       move an invocation to a new status
  list-available   print the invocations available for run
  watch            print changes as they happen
  render           draw the state machine (mermaid, dot or svg)
  version          print the version (also --version)

Run "pynenc-status COMMAND --help" for a command's flags.
`;

const CLIENT_COMMANDS: Record<string, ClientCommand> = {
  get: getCommand,
  transition: transitionCommand,
  "list-available": listAvailableCommand,
  watch: watchCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === "version" || command === "--version") {
    process.stdout.write(`pynenc-status ${VERSION}\n`);
    return 0;
  }
  if (command === "serve") return runServe(args);
  if (command === "render") {
    try {
      return await runRender(args);
    } catch (error) {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) throw error;
      process.stderr.write(`error: ${describeError(error, "")}\n`);
      return 1;
    }
  }
  const clientCommand = CLIENT_COMMANDS[command];
  if (clientCommand === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const parsed = await clientCommand.run(args);
  if (parsed === "help") {
    process.stdout.write(clientCommand.help);
    return 0;
  }
  try {
    await parsed.call(createStatusClient(parsed.server, parsed.connection));
  } catch (error) {
    process.stderr.write(`error: ${describeError(error, parsed.server)}\n`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(
      `error: ${describeError(error, "")}${usage ? '\nRun "pynenc-status --help" for usage.' : ""}\n`,
    );
    process.exitCode = usage ? 2 : 1;
  },
);

export { SERVE_HELP };
