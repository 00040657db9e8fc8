import type { Migration } from "kysely";
import * as initial from "./0001_initial.js";
import * as outboxTraceContext from "./0002_outbox_trace_context.js";

export const migrations: Record<string, Migration> = { "0001_initial": initial, "0002_outbox_trace_context": outboxTraceContext };
