import { unary } from "@symphony/kit/client";
import { UsageError } from "../failures.js";
import { podId as podIdOf, type Command } from "../command.js";

const stateOf = (enabled: boolean) => (enabled ? "enabled" : "disabled");

export const entitlementShow: Command = {
  path: ["objectstore", "entitlement"],
  synopsis: "POD_ID",
  summary: "whether the pod may use the object store (an unentitled pod gets 403 on every call)",
  args: { min: 1, max: 1 },
  async run({ args, mesh }) {
    const podId = podIdOf(args[0]!);
    const res = await mesh.objectStoreAdmin((os, md) => unary(os, os.getPodEntitlement, { podId }, md));
    return { json: { podId, ...res }, text: `pod ${podId}: object store ${stateOf(res.enabled)}\n` };
  },
};

export const entitlementSet: Command = {
  path: ["objectstore", "entitle"],
  synopsis: "POD_ID on|off",
  summary: "switch the pod's object store entitlement at run time (every object store replica follows)",
  args: { min: 2, max: 2 },
  async run({ args, mesh }) {
    const podId = podIdOf(args[0]!);
    const state = args[1]!;
    if (state !== "on" && state !== "off") throw new UsageError(`${state}: say on or off`);
    await mesh.objectStoreAdmin((os, md) => unary(os, os.setEntitlement, { podId, enabled: state === "on" }, md));
    return { json: { podId, enabled: state === "on" }, text: `pod ${podId}: object store ${stateOf(state === "on")}\n` };
  },
};
