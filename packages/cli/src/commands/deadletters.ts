import { unary } from "@symphony/kit";
import { UsageError } from "../failures.js";
import { optionalCount, type Command } from "../command.js";
import { table, time } from "../output.js";

export const deadLettersList: Command = {
  path: ["deadletters", "list"],
  synopsis: "[--after ID] [--limit N]",
  summary: "pod events the outbox relay gave up on (too large for the bus, refused, failing), oldest first",
  options: { after: { type: "string" }, limit: { type: "string" } },
  async run(input) {
    const afterId = optionalCount(input, "after") ?? 0;
    const limit = optionalCount(input, "limit") ?? 0;
    const { deadLetters } = await input.mesh.deadLetters((dl, md) => unary(dl, dl.listDeadLetters, { afterId, limit }, md));
    return {
      json: deadLetters,
      text: table(
        ["ID", "EVENT", "TYPE", "STREAM", "BYTES", "RECIPIENTS", "ATTEMPTS", "DEAD SINCE", "REASON"],
        deadLetters.map((d) => [d.id, d.eventId, d.eventType, d.streamId, d.payloadBytes, d.recipients, d.attempts, time(d.deadAt), d.reason]),
      ),
    };
  },
};

export const deadLettersReplay: Command = {
  path: ["deadletters", "replay"],
  synopsis: "ID... | --all",
  summary: "put dead letters back on the outbox once their cause is mended (a larger max_payload, the stream fixed)",
  options: { all: { type: "boolean" } },
  args: { min: 0, max: 1_000 },
  async run(input) {
    const all = input.options.all === true;
    if (all === input.args.length > 0) throw new UsageError("name the dead letter ids to replay, or say --all");
    const ids = input.args.map((raw) => {
      const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`a dead letter id must be a positive integer, not "${raw}"`);
      return id;
    });
    const { replayed } = await input.mesh.deadLetters((dl, md) => unary(dl, dl.replayDeadLetters, { ids, all }, md));
    return { json: { replayed }, text: `${replayed} dead letter${replayed === 1 ? "" : "s"} back on the outbox\n` };
  },
};
