import { invalidArgument, MAX_PAGE_BYTES, normalizeSymphonyId, notFound, requireStreamId, type UnaryHandlers } from "@symphony/kit";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import { streamNotFound, type PodContext } from "./context.js";
import { streamEvent } from "./events.js";
import type { StoredMessageRow } from "./message-store.js";
import { toUserV2 } from "./users.js";

type MessageHandlers = Pick<UnaryHandlers<PodServiceServer>, "storeMessage" | "listMessages" | "getMessage" | "suppressMessage" | "submitElementsAction">;

const MAX_MESSAGE_LIMIT = 500;
const MAX_CIPHERTEXT = 2 * 1024 * 1024;

function messageIdOf(raw: string): string {
  const id = normalizeSymphonyId(raw);
  if (!id) throw invalidArgument("Invalid message id");
  return id;
}

/** The agent's envelope, of a size the pod stores. */
function envelopeOf(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length > MAX_CIPHERTEXT) throw invalidArgument("Invalid ciphertext size");
  return Buffer.from(raw);
}

/** The first rows whose ciphertext fits in a page (at least one): readers page on with skip. */
function boundedInBytes(rows: StoredMessageRow[]): StoredMessageRow[] {
  let bytes = 0;
  const page: StoredMessageRow[] = [];
  for (const row of rows) {
    bytes += row.ciphertext.length;
    if (page.length > 0 && bytes > MAX_PAGE_BYTES) break;
    page.push(row);
  }
  return page;
}

function toStoredMessage(row: StoredMessageRow): StoredMessage {
  return {
    messageId: row.id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    timestamp: row.created_at,
    sender: toUserV2(row.sender),
    ciphertext: row.ciphertext,
  };
}

export function messageHandlers(c: PodContext): MessageHandlers {
  const { stores } = c;
  // A stream's type never changes, so the send path looks it up once per stream.
  const streamTypes = new Map<string, string>();
  const streamType = async (streamId: string): Promise<string | undefined> => {
    let type = streamTypes.get(streamId);
    if (type === undefined) {
      type = (await stores.streams.byId(streamId))?.type;
      if (type === undefined) return undefined;
      if (streamTypes.size >= 100_000) streamTypes.clear();
      streamTypes.set(streamId, type);
    }
    return type;
  };

  return {
    async storeMessage(req, ctx) {
      const p = ctx.caller.bot;
      const streamId = requireStreamId(req.streamId);
      const messageId = messageIdOf(req.messageId);
      const ciphertext = envelopeOf(req.ciphertext);
      const type = await streamType(streamId);
      if (!type) streamNotFound();
      const ts = c.now();
      const content = { messageId, ciphertext };
      const stream = { id: streamId, type };
      const event = req.sharedPost ? streamEvent("SHAREDPOST", stream, p.userId, ts, { sharedPost: content }) : streamEvent("MESSAGESENT", stream, p.userId, ts, { messageSent: content });
      const sender = await stores.messages.store({ id: messageId, streamId, senderId: p.userId, createdAt: ts, ciphertext }, event);
      if (!sender) streamNotFound();
      c.published();
      return { message: { messageId, streamId, streamType: type, timestamp: ts, sender: toUserV2(sender), ciphertext } };
    },

    async submitElementsAction(req, ctx) {
      const p = ctx.caller.bot;
      const streamId = requireStreamId(req.streamId);
      const formMessageId = messageIdOf(req.formMessageId);
      const actionId = messageIdOf(req.actionId);
      const ciphertext = envelopeOf(req.ciphertext);
      const [stream, membership] = await Promise.all([stores.streams.byId(streamId), stores.memberships.of(streamId, p.userId)]);
      if (!stream?.active || !membership) streamNotFound();
      const author = await stores.messages.sender(streamId, formMessageId);
      if (author === undefined) throw notFound("The form message is not a message of this stream");
      if (!(await stores.memberships.of(streamId, author))) throw invalidArgument("The author of the form is no longer a member of the stream");
      const ts = c.now();
      const elementsAction = { formMessageId, actionId, ciphertext };
      // In Symphony only the form's author (the bot that sent it) hears the answer.
      await stores.outbox.to(streamEvent("SYMPHONYELEMENTSACTION", stream, p.userId, ts, { elementsAction }), [author]);
      c.published();
      return { timestamp: ts };
    },

    async listMessages(req, ctx) {
      const p = ctx.caller.bot;
      const streamId = requireStreamId(req.streamId);
      if (req.limit < 0 || req.skip < 0) throw invalidArgument("skip and limit must not be negative");
      if (req.since < 0) throw invalidArgument("since must be a timestamp in milliseconds");
      if (!(await stores.memberships.of(streamId, p.userId))) streamNotFound();
      const rows = await stores.messages.list({
        streamId,
        readerId: p.userId,
        since: req.since,
        until: req.until,
        skip: req.skip,
        limit: Math.min(req.limit || 50, MAX_MESSAGE_LIMIT),
      });
      return { messages: boundedInBytes(rows).map(toStoredMessage) };
    },

    async suppressMessage(req, ctx) {
      const admin = await c.callerRow(ctx);
      const id = messageIdOf(req.messageId);
      const ts = c.now();
      const suppressed = await stores.inTransaction(async (tx) => {
        const stream = await tx.messages.suppress(id, ts);
        if (stream) await tx.outbox.toMembers(stream.id, [streamEvent("MESSAGESUPPRESSED", stream, admin.id, ts, { messageSuppressed: { messageId: id } })]);
        return stream;
      });
      if (!suppressed) throw invalidArgument("No such message, or it is already suppressed");
      c.published();
      return { suppression: { messageId: id, suppressed: true, suppressionDate: ts } };
    },

    async getMessage(req, ctx) {
      const p = ctx.caller.bot;
      const id = messageIdOf(req.messageId);
      const row = await stores.messages.byId(id, p.userId);
      if (!row) throw notFound("Message not found");
      return { message: toStoredMessage(row) };
    },
  };
}
