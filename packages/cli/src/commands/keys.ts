import { unary } from "@symphony/kit/client";
import { optionalCount, optionalString, optionalUserId, type Command } from "../command.js";
import { fields, table, time } from "../output.js";

export const keysRotate: Command = {
  path: ["keys", "rotate"],
  synopsis: "STREAM_ID",
  summary: "start a new content key rotation for a stream (new messages use it, old ones still decrypt)",
  args: { min: 1, max: 1 },
  async run({ args, mesh }) {
    const res = await mesh.keyManager((km, md) => unary(km, km.rotateContentKey, { streamId: args[0]! }, md));
    return { json: res, text: `stream ${res.streamId} now uses key rotation ${res.rotationId}\n` };
  },
};

export const audit: Command = {
  path: ["audit"],
  synopsis: "[--stream ID] [--user ID] [--limit N]",
  summary: "key releases and refusals, newest first",
  options: { stream: { type: "string" }, user: { type: "string" }, limit: { type: "string" } },
  async run(input) {
    const request = {
      streamId: optionalString(input, "stream") ?? "",
      userId: optionalUserId(input, "user"),
      since: 0,
      limit: optionalCount(input, "limit") ?? 0,
    };
    const { entries } = await input.mesh.keyManager((km, md) => unary(km, km.listKeyAudit, request, md));
    return {
      json: entries,
      text: table(
        ["TIME", "USER", "STREAM", "ROTATION", "ACTION", "DECISION", "TRACE"],
        entries.map((e) => [time(e.timestamp), e.userId, e.streamId, e.rotationId, e.action, e.decision, e.traceId]),
      ),
    };
  },
};

export const masterKeyStatus: Command = {
  path: ["masterkey", "status"],
  synopsis: "",
  summary: "master key versions loaded by the key manager and content keys awaiting rewrap",
  async run({ mesh }) {
    const res = await mesh.keyManager((km, md) => unary(km, km.getMasterKeyStatus, {}, md));
    return {
      json: res,
      text: fields([
        ["current version", res.currentVersion],
        ["loaded versions", res.loadedVersions.join(", ")],
        ["pending rewrap", res.pendingRewrap],
      ]),
    };
  },
};

export const masterKeyReload: Command = {
  path: ["masterkey", "reload"],
  synopsis: "",
  summary: "make the key manager re-read its master key file and rewrap under the newest version",
  async run({ mesh }) {
    const res = await mesh.keyManager((km, md) => unary(km, km.reloadMasterKeys, {}, md));
    return { json: res, text: `master keys reloaded; current version ${res.currentVersion}\n` };
  },
};
