import type { Migration } from "kysely";
import * as initial from "./0001_initial.js";
import * as podApi from "./0002_pod_api.js";
import * as outboxRecipients from "./0003_outbox_recipients.js";
import * as messageSuppression from "./0004_message_suppression.js";
import * as connections from "./0005_connections.js";
import * as outboxTraceContext from "./0006_outbox_trace_context.js";
import * as outboxDeadLetters from "./0007_outbox_dead_letters.js";

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_pod_api": podApi,
  "0003_outbox_recipients": outboxRecipients,
  "0004_message_suppression": messageSuppression,
  "0005_connections": connections,
  "0006_outbox_trace_context": outboxTraceContext,
  "0007_outbox_dead_letters": outboxDeadLetters,
};
