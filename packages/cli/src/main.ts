import { createRequire } from "node:module";
import { usageOf, type OptionValues } from "./command.js";
import { completionScript } from "./completion.js";
import { COMMANDS } from "./commands/index.js";
import { resolveConfig } from "./config.js";
import { describeFailure, EXIT, UsageError } from "./failures.js";
import { processIo, type Io } from "./io.js";
import { Mesh } from "./mesh.js";
import { parseCommandLine } from "./parse.js";
import { generalUsage } from "./usage.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

/** --output json|table; --json is kept as the short way of saying --output json. */
function wantsJson(options: OptionValues): boolean {
  const output = options.output;
  if (output !== undefined && output !== "json" && output !== "table") throw new UsageError(`--output takes json or table, not "${String(output)}"`);
  return output === "json" || (output === undefined && options.json === true);
}

/** Runs one command line and returns the exit code; all output goes through io. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let mesh: Mesh | undefined;
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (line.help) {
      io.out(`${line.command ? `${usageOf(line.command)}\n\n${line.command.summary}` : generalUsage(COMMANDS)}\n`);
      return EXIT.ok;
    }
    if ("version" in line) {
      io.out(`symphony-admin ${version}\n`);
      return EXIT.ok;
    }
    if ("completion" in line) {
      io.out(completionScript(line.completion, COMMANDS));
      return EXIT.ok;
    }
    const json = wantsJson(line.options);
    mesh = new Mesh(resolveConfig(line.options, io.env));
    const { command } = line;
    const result = await command.run({ options: line.options, args: line.args, mesh }).catch((err: unknown) => {
      throw err instanceof UsageError && !err.usage ? new UsageError(err.message, usageOf(command)) : err;
    });
    io.out(json ? `${JSON.stringify(result.json ?? null, null, 2)}\n` : result.text);
    return result.exitCode ?? EXIT.ok;
  } catch (err) {
    const { message, exitCode } = describeFailure(err);
    io.err(`${message}\n`);
    return exitCode;
  } finally {
    mesh?.close();
  }
}
