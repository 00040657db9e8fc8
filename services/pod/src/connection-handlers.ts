import { invalidArgument, notFound, type CallContext, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { UserConnection } from "@symphony/proto/pod/v1/users";
import type { Insertable } from "kysely";
import type { PodContext } from "./context.js";
import { userEvent } from "./events.js";
import { userIdOf } from "./request-fields.js";
import type { ConnectionRow, ConnectionsTable, OutboxInsert } from "./schema.js";

type ConnectionHandlers = Pick<UnaryHandlers<PodServiceServer>, "createConnection" | "acceptConnection" | "rejectConnection" | "getConnection" | "listConnections" | "removeConnection">;

const STATUSES = new Set(["PENDING_INCOMING", "PENDING_OUTGOING", "ACCEPTED", "REJECTED", "ALL", ""]);

/** The connection as the viewer sees it: a pending request is incoming or outgoing. */
function view(row: ConnectionRow, viewer: number): UserConnection {
  const outgoing = row.requester_id === viewer;
  return {
    userId: outgoing ? row.target_id : row.requester_id,
    status: row.status === "PENDING" ? (outgoing ? "PENDING_OUTGOING" : "PENDING_INCOMING") : row.status,
    firstRequestedAt: row.first_requested_at,
    updatedAt: row.updated_at,
    requestCounter: row.request_counter,
  };
}

export function connectionHandlers(c: PodContext): ConnectionHandlers {
  const { stores } = c;

  /** Writes the connection and, when there is one, its event for the other user in one transaction. */
  const save = async (row: Insertable<ConnectionsTable>, event?: { row: OutboxInsert; to: number }): Promise<ConnectionRow> => {
    const saved = await stores.inTransaction(async (tx) => {
      const written = await tx.connections.save(row);
      if (event) await tx.outbox.to(event.row, [event.to]);
      return written;
    });
    if (event) c.published();
    return saved;
  };

  const other = async (raw: number, self: number) => {
    const id = userIdOf(raw, "userId");
    if (id === self) throw invalidArgument("A user cannot connect to themselves");
    const user = await stores.users.byId(id);
    if (!user || user.status !== "ENABLED") throw notFound("User not found");
    return id;
  };

  /** Answers an incoming request: only the user who was asked may accept or reject it. */
  const answer = async (raw: number, ctx: CallContext, status: "ACCEPTED" | "REJECTED") => {
    const p = ctx.caller.bot;
    const from = await other(raw, p.userId);
    const existing = await stores.connections.between(from, p.userId);
    if (!existing || existing.target_id !== p.userId || existing.status !== "PENDING") throw invalidArgument("There is no pending request from this user");
    const ts = c.now();
    const event = status === "ACCEPTED" ? { row: userEvent("CONNECTIONACCEPTED", p.userId, ts, { connectionChanged: { toUserId: from } }), to: from } : undefined;
    const saved = await save({ ...existing, status, updated_at: ts }, event);
    return { connection: view(saved, p.userId) };
  };

  return {
    async createConnection(req, ctx) {
      const p = ctx.caller.bot;
      const to = await other(req.userId, p.userId);
      const existing = await stores.connections.between(p.userId, to);
      if (existing?.status === "ACCEPTED") return { connection: view(existing, p.userId) };
      if (existing && existing.requester_id !== p.userId && existing.status === "PENDING") throw invalidArgument("This user already asked to connect: accept their request");
      const ts = c.now();
      const saved = await save(
        {
          requester_id: p.userId,
          target_id: to,
          status: "PENDING",
          first_requested_at: existing?.first_requested_at ?? ts,
          updated_at: ts,
          request_counter: (existing?.requester_id === p.userId ? existing.request_counter : 0) + 1,
        },
        { row: userEvent("CONNECTIONREQUESTED", p.userId, ts, { connectionChanged: { toUserId: to } }), to },
      );
      return { connection: view(saved, p.userId) };
    },

    acceptConnection: (req, ctx) => answer(req.userId, ctx, "ACCEPTED"),
    rejectConnection: (req, ctx) => answer(req.userId, ctx, "REJECTED"),

    async removeConnection(req, ctx) {
      const p = ctx.caller.bot;
      const id = await other(req.userId, p.userId);
      if (await stores.connections.removeAccepted(p.userId, id)) return { result: { format: "TEXT", message: "Connection Removed." } };
      if (await stores.connections.between(p.userId, id)) throw invalidArgument("Only an accepted connection can be removed");
      throw notFound("No connection with this user");
    },

    async getConnection(req, ctx) {
      const p = ctx.caller.bot;
      const row = await stores.connections.between(p.userId, userIdOf(req.userId, "userId"));
      if (!row) throw notFound("No connection with this user");
      return { connection: view(row, p.userId) };
    },

    async listConnections(req, ctx) {
      const p = ctx.caller.bot;
      if (!STATUSES.has(req.status)) throw invalidArgument("status must be PENDING_INCOMING, PENDING_OUTGOING, ACCEPTED, REJECTED or ALL");
      const only = req.userIds ? new Set(req.userIds.split(",").map((x) => userIdOf(Number(x.trim()), "userIds"))) : undefined;
      const all = (await stores.connections.of(p.userId)).map((r) => view(r, p.userId));
      return { connections: all.filter((v) => (!req.status || req.status === "ALL" || v.status === req.status) && (!only || only.has(v.userId))) };
    },
  };
}
