import { invalidArgument, newSymphonyId, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { PodContext } from "./context.js";
import { streamEvent } from "./events.js";
import { userIdOf } from "./request-fields.js";
import { isUniqueViolation } from "./sql.js";

type ImHandlers = Pick<UnaryHandlers<PodServiceServer>, "createIm" | "adminCreateIm">;

const MAX_IM_MEMBERS = 15;

export function imHandlers(c: PodContext): ImHandlers {
  const { stores } = c;

  /** The id of the one IM (or MIM) of exactly these members, created if it does not exist. */
  const imOf = async (initiatorId: number, members: number[]): Promise<{ stream: { id: string } }> => {
    const unique = [...new Set(members)].sort((a, b) => a - b);
    if (unique.length < 2) throw invalidArgument("An IM needs at least one other user");
    if (unique.length > MAX_IM_MEMBERS) throw invalidArgument(`An IM has at most ${MAX_IM_MEMBERS} members`);
    const found = await stores.users.findBy("id", unique);
    if (found.length !== unique.length || found.some((u) => u.status !== "ENABLED")) throw invalidArgument("Every member must be an existing, enabled user");
    const imKey = unique.join(",");
    const existing = await stores.streams.imByKey(imKey);
    if (existing) return { stream: { id: existing.id } };
    const ts = c.now();
    const stream = { id: newSymphonyId(ts), type: unique.length === 2 ? "IM" : "MIM" };
    try {
      await c.changeStream(
        stream.id,
        async (tx) => {
          const row = await tx.streams.insert({ ...stream, name: null, attributes: "{}", im_key: imKey, created_by: initiatorId, created_at: ts });
          await tx.memberships.addAll(row.id, unique, ts);
          return row;
        },
        [streamEvent("INSTANTMESSAGECREATED", stream, initiatorId, ts)],
      );
      return { stream: { id: stream.id } };
    } catch (err) {
      // Two callers created the same IM at once: the other one won.
      if (!isUniqueViolation(err)) throw err;
      const winner = await stores.streams.imByKey(imKey);
      if (!winner) throw err;
      return { stream: { id: winner.id } };
    }
  };

  return {
    async createIm(req, ctx) {
      const p = ctx.caller.bot;
      return imOf(p.userId, [p.userId, ...req.userIds.map((id) => userIdOf(id))]);
    },

    async adminCreateIm(req, ctx) {
      const admin = await c.callerRow(ctx);
      return imOf(admin.id, req.userIds.map((id) => userIdOf(id)));
    },
  };
}
