// Environment configuration, validated once at start so a misconfigured process stops
// with one message naming every bad variable instead of failing later on first use.

export class ConfigError extends Error {}

type Reader<T> = (env: NodeJS.ProcessEnv) => T | ConfigProblem;

interface ConfigProblem {
  problem: string;
  /** The variable is absent (as opposed to present with a bad value). */
  missing?: boolean;
}

const isProblem = (v: unknown): v is ConfigProblem => typeof v === "object" && v !== null && "problem" in v;

function variable<T>(name: string, fallback: T | undefined, parse: (raw: string) => T | undefined, expected: string): Reader<T> {
  return (env) => {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      return fallback === undefined ? { problem: `${name} is required (${expected})`, missing: true } : fallback;
    }
    const value = parse(raw);
    return value === undefined ? { problem: `${name} must be ${expected}` } : value;
  };
}

function integer(name: string, fallback: number | undefined, min: number, max: number, expected: string): Reader<number> {
  return variable(
    name,
    fallback,
    (raw) => {
      const n = Number(raw);
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    },
    expected,
  );
}

export const env = {
  string: (name: string, fallback?: string): Reader<string> => variable(name, fallback, (raw) => raw, "a string"),
  url: (name: string, fallback?: string): Reader<string> =>
    variable(name, fallback, (raw) => (URL.canParse(raw) ? raw : undefined), "a URL"),
  port: (name: string, fallback?: number): Reader<number> => integer(name, fallback, 0, 65535, "a TCP port (0-65535)"),
  positiveInt: (name: string, fallback?: number): Reader<number> => integer(name, fallback, 1, Number.MAX_SAFE_INTEGER, "a positive integer"),
  nonNegativeInt: (name: string, fallback?: number): Reader<number> => integer(name, fallback, 0, Number.MAX_SAFE_INTEGER, "a non-negative integer"),
  boolean: (name: string, fallback?: boolean): Reader<boolean> =>
    variable(name, fallback, (raw) => ({ true: true, false: false })[raw.toLowerCase()], "true or false"),
  oneOf: <T extends string>(name: string, values: readonly T[], fallback?: T): Reader<T> =>
    variable(name, fallback, (raw) => values.find((v) => v === raw), `one of ${values.join(", ")}`),
  /** host:port of a gRPC peer. */
  address: (name: string, fallback?: string): Reader<string> =>
    variable(name, fallback, (raw) => (/^[\w.-]+:\d{1,5}$|^\[[\d:a-fA-F]+\]:\d{1,5}$/.test(raw) ? raw : undefined), "host:port"),
  /** A value that may be absent. */
  optional: <T>(reader: Reader<T>): Reader<T | undefined> => (e) => {
    const v = reader(e);
    return isProblem(v) && v.missing ? undefined : v;
  },
};

export function loadConfig<S extends Record<string, Reader<unknown>>>(
  schema: S,
  source: NodeJS.ProcessEnv = process.env,
): { [K in keyof S]: S[K] extends Reader<infer T> ? T : never } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, read] of Object.entries(schema)) {
    const value = read(source);
    if (isProblem(value)) problems.push(value.problem);
    else out[key] = value;
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  return out as { [K in keyof S]: S[K] extends Reader<infer T> ? T : never };
}
