import { status, type ServiceError } from "@grpc/grpc-js";

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** The command line is wrong (or names a file that cannot be used); the usage text says how to fix it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** A gRPC call that failed, with the service it went to. */
export class CallFailure extends Error {
  constructor(
    readonly service: string,
    readonly address: string,
    readonly error: ServiceError,
    readonly during?: string,
  ) {
    super(error.details || error.message);
  }

  /** UNAVAILABLE and DEADLINE_EXCEEDED: the service (or one it depends on) could not be reached in time. */
  get unreachable(): boolean {
    return this.error.code === status.UNAVAILABLE || this.error.code === status.DEADLINE_EXCEEDED;
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

export function statusName(code: number): string {
  return status[code] ?? `STATUS_${code}`;
}

/** The line printed on stderr and the exit code for any failure. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) {
    const hint = err.usage ? `\n${err.usage}` : "\nRun 'symphony-admin help' for the list of commands.";
    return { message: `error: ${oneLine(err.message)}${hint}`, exitCode: EXIT.usage };
  }
  if (err instanceof CallFailure) {
    const where = [`${err.service} at ${err.address}`, err.during].filter(Boolean).join(", ");
    return {
      message: `error: ${statusName(err.error.code)}: ${oneLine(err.message)} (${where})`,
      exitCode: err.unreachable ? EXIT.unreachable : EXIT.failed,
    };
  }
  return { message: `error: ${oneLine(err instanceof Error ? err.message : String(err))}`, exitCode: EXIT.failed };
}
