import { parseArgs } from "node:util";
import { usageOf, type Command, type OptionsConfig, type OptionValues } from "./command.js";
import { SERVICES } from "./config.js";
import { UsageError } from "./failures.js";

const GLOBAL_OPTIONS: OptionsConfig = {
  ...Object.fromEntries(SERVICES.map((s) => [s, { type: "string" as const }])),
  "admin-user": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export type ParsedCommandLine =
  | { help: true; command?: Command }
  | { help: false; command: Command; options: OptionValues; args: string[] };

const oneLine = (err: unknown) => (err as Error).message.split("\n")[0]!;

/** The command whose words begin the positionals; the longest match wins. */
function findCommand(commands: Command[], words: string[]): Command | undefined {
  return commands
    .filter((c) => c.path.every((w, i) => words[i] === w))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

export function parseCommandLine(argv: string[], commands: Command[]): ParsedCommandLine {
  // First pass: only to find the command words. Every option any command knows is declared so
  // that option values are not mistaken for words.
  const known = Object.assign({}, GLOBAL_OPTIONS, ...commands.map((c) => c.options ?? {})) as OptionsConfig;
  const loose = parseArgs({ args: argv, options: known, strict: false, allowPositionals: true });
  const words = loose.positionals;
  if (words[0] === "help") return { help: true, command: findCommand(commands, words.slice(1)) };
  if (words.length === 0) {
    if (loose.values.help) return { help: true };
    throw new UsageError("no command given");
  }
  const command = findCommand(commands, words);
  if (!command) {
    const group = commands.filter((c) => c.path[0] === words[0]);
    const hint = group.length > 0 ? `; "${words[0]}" takes one of: ${group.map((c) => c.path.slice(1).join(" ")).join(", ")}` : "";
    throw new UsageError(`unknown command "${words.join(" ")}"${hint}`);
  }

  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(oneLine(err), usageOf(command));
  }
  if (parsed.values.help) return { help: true, command };
  const args = parsed.positionals.slice(command.path.length);
  const { min, max } = command.args ?? { min: 0, max: 0 };
  if (args.length < min) throw new UsageError(`missing argument${min - args.length > 1 ? "s" : ""}`, usageOf(command));
  if (args.length > max) throw new UsageError(`unexpected argument "${args[max]}"`, usageOf(command));
  return { help: false, command, options: parsed.values, args };
}
