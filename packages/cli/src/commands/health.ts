import type { Command } from "../command.js";
import { SERVICES, type ServiceName } from "../config.js";
import { CallFailure, EXIT, statusName, UsageError } from "../failures.js";
import { table } from "../output.js";

interface ServiceHealth {
  service: ServiceName;
  address: string;
  /** SERVING, NOT_SERVING, UNKNOWN, UNREACHABLE, or the gRPC status the check failed with. */
  status: string;
  detail?: string;
}

/**
 * Exit 0 when every service checked is SERVING, 3 when none could be reached at all (wrong
 * addresses, mesh down), 1 otherwise: part of the mesh is down or refusing.
 */
export const health: Command = {
  path: ["health"],
  synopsis: "[SERVICE ...]",
  summary: `grpc.health.v1 check of every service (${SERVICES.join(", ")}) or the named ones`,
  args: { min: 0, max: SERVICES.length },
  async run({ args, mesh }) {
    const unknown = args.find((a) => !(SERVICES as readonly string[]).includes(a));
    if (unknown !== undefined) throw new UsageError(`unknown service "${unknown}": expected ${SERVICES.join(", ")}`);
    const targets = args.length > 0 ? (args as ServiceName[]) : [...SERVICES];
    const results = await Promise.all(
      targets.map(async (service): Promise<ServiceHealth> => {
        const address = mesh.address(service);
        try {
          return { service, address, status: await mesh.health(service) };
        } catch (err) {
          if (!(err instanceof CallFailure)) throw err;
          return { service, address, status: err.unreachable ? "UNREACHABLE" : statusName(err.error.code), detail: err.message };
        }
      }),
    );
    const exitCode = results.every((r) => r.status === "SERVING")
      ? EXIT.ok
      : results.every((r) => r.status === "UNREACHABLE")
        ? EXIT.unreachable
        : EXIT.failed;
    return {
      json: results,
      text: results.some((r) => r.detail)
        ? table(["SERVICE", "ADDRESS", "STATUS", "DETAIL"], results.map((r) => [r.service, r.address, r.status, r.detail]))
        : table(["SERVICE", "ADDRESS", "STATUS"], results.map((r) => [r.service, r.address, r.status])),
      exitCode,
    };
  },
};
