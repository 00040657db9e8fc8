import { invalidArgument, notFound, requireStreamId, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { PodContext } from "./context.js";
import { streamEvent } from "./events.js";

type SystemEventHandlers = Pick<UnaryHandlers<PodServiceServer>, "publishSystemEvent">;

const MAX_NAME_CHARS = 256;
const MAX_PARAMETERS_BYTES = 16 * 1024;

function name(value: string, field: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw invalidArgument(`${field} is required`);
  if (trimmed.length > MAX_NAME_CHARS) throw invalidArgument(`${field} is longer than ${MAX_NAME_CHARS} characters`);
  return trimmed;
}

export function systemEventHandlers(c: PodContext): SystemEventHandlers {
  return {
    async publishSystemEvent(req, ctx) {
      const admin = await c.callerRow(ctx);
      const sourceSystem = name(req.sourceSystem, "source_system");
      const eventSubtype = name(req.eventSubtype, "event_subtype");
      if (!Number.isSafeInteger(req.eventTimestamp) || req.eventTimestamp < 0) throw invalidArgument("event_timestamp must be a timestamp in milliseconds");
      const parameters = req.parameters ?? {};
      if (Buffer.byteLength(JSON.stringify(parameters)) > MAX_PARAMETERS_BYTES) throw invalidArgument(`parameters exceed ${MAX_PARAMETERS_BYTES} bytes`);
      const stream = await c.stores.streams.byId(requireStreamId(req.streamId));
      if (!stream) throw notFound("Stream not found");
      if (!stream.active) throw invalidArgument("The stream is deactivated");
      const ts = c.now();
      const event = streamEvent("GENERICSYSTEMEVENT", stream, admin.id, ts, {
        systemEvent: { sourceSystem, eventSubtype, eventTimestamp: req.eventTimestamp || ts, parameters },
      });
      await c.stores.outbox.toMembers(stream.id, [event]);
      c.published();
      return { eventId: event.event_id };
    },
  };
}
