import { readFileSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "./failures.js";
import type { Mesh } from "./mesh.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandInput {
  options: OptionValues;
  /** Positional arguments after the command words. */
  args: string[];
  mesh: Mesh;
}

export interface CommandResult {
  /** What --json prints. */
  json: unknown;
  /** What a person reads. */
  text: string;
  exitCode?: number;
}

export interface Command {
  /** The words that select the command, e.g. ["users", "create"]. */
  path: string[];
  /** Its arguments as the usage line shows them. */
  synopsis: string;
  summary: string;
  options?: OptionsConfig;
  /** How many positional arguments follow the command words. */
  args?: { min: number; max: number };
  run(input: CommandInput): Promise<CommandResult>;
}

export const usageOf = (c: Command) => `usage: symphony-admin ${[...c.path, c.synopsis].filter(Boolean).join(" ")}`;

export function optionalString(input: CommandInput, name: string): string | undefined {
  const value = input.options[name];
  return typeof value === "string" ? value : undefined;
}

export function requiredString(input: CommandInput, name: string): string {
  const value = optionalString(input, name);
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

export function strings(input: CommandInput, name: string): string[] {
  const value = input.options[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function integer(raw: string, what: string, min: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} must be ${min > 0 ? "a positive" : "a non-negative"} integer, not "${raw}"`);
  return n;
}

/** A user id given as an argument or option. */
export const userId = (raw: string, what = "a user id") => integer(raw, what, 1);
export const podId = (raw: string) => integer(raw, "a pod id", 1);

export function optionalCount(input: CommandInput, name: string): number | undefined {
  const raw = optionalString(input, name);
  return raw === undefined ? undefined : integer(raw, `--${name}`, 0);
}

export function optionalUserId(input: CommandInput, name: string): number | undefined {
  const raw = optionalString(input, name);
  return raw === undefined ? undefined : userId(raw, `--${name}`);
}

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}
