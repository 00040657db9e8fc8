import { invalidArgument, type Logger, type UnaryHandlers } from "@symphony/kit";
import type { DeadLetterServiceServer } from "@symphony/proto/pod/v1/dead_letter_service";
import type { PodContext } from "./context.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;
const MAX_IDS = 1_000;

const positiveIds = (ids: readonly number[]) => {
  if (ids.length > MAX_IDS) throw invalidArgument(`at most ${MAX_IDS} ids per call`);
  if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) throw invalidArgument("ids must be positive integers");
  return ids;
};

/** DeadLetterService: operators list the outbox rows the relay gave up on and put them back. */
export function deadLetterHandlers(c: PodContext, logger: Logger): UnaryHandlers<DeadLetterServiceServer> {
  return {
    async listDeadLetters(req) {
      if (!Number.isSafeInteger(req.afterId) || req.afterId < 0) throw invalidArgument("after_id must be 0 or a dead letter id");
      if (req.limit < 0 || req.limit > MAX_LIMIT) throw invalidArgument(`limit must be between 1 and ${MAX_LIMIT}`);
      return { deadLetters: await c.stores.deadLetters.list(req.afterId, req.limit || DEFAULT_LIMIT) };
    },
    async replayDeadLetters(req, ctx) {
      if (req.all === req.ids.length > 0) throw invalidArgument("name the ids to replay, or ask for all, not both");
      const replayed = await c.stores.deadLetters.replay(req.all ? [] : positiveIds(req.ids));
      logger.info({ operator: ctx.caller.bot.userId, ids: req.all ? "all" : req.ids, replayed }, "dead letters replayed");
      if (replayed > 0) c.published();
      return { replayed };
    },
  };
}
