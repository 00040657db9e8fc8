import { invalidArgument, requireStreamId, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import { streamNotFound, type PodContext } from "./context.js";
import { page, userIdOf } from "./request-fields.js";
import { adminStreamQuery, streamTypes, toAdminStreamInfo, toAdminStreamMember, toStreamAttributes } from "./streams.js";

type StreamHandlers = Pick<UnaryHandlers<PodServiceServer>, "listStreams" | "getStreamInfo" | "adminListStreams" | "adminListUserStreams" | "adminListStreamMembers">;

const MAX_ADMIN_STREAMS_PAGE = 100;

export function streamHandlers(c: PodContext): StreamHandlers {
  const { stores } = c;
  return {
    async listStreams(req, ctx) {
      const p = ctx.caller.bot;
      const { skip, limit } = page(req.skip, req.limit);
      const types = streamTypes(req.filter?.streamTypes);
      const rows = await stores.streams.ofMember({ userId: p.userId, types, includeInactive: req.filter?.includeInactiveStreams === true, skip, limit });
      return { streams: rows.map(toStreamAttributes) };
    },

    async getStreamInfo(req, ctx) {
      const { p, stream } = await c.memberOfStream(ctx, req.streamId);
      const [row] = await stores.streams.ofMember({ userId: p.userId, types: [], includeInactive: true, skip: 0, limit: 1, streamId: stream.id });
      return { stream: toStreamAttributes(row!) };
    },

    async adminListStreams(req) {
      const { skip, limit } = page(req.skip, req.limit);
      if (limit > MAX_ADMIN_STREAMS_PAGE) throw invalidArgument(`limit must not exceed ${MAX_ADMIN_STREAMS_PAGE}`);
      const query = adminStreamQuery(req.filter);
      const { count, streams } = query ? await stores.streams.adminList({ ...query, skip, limit }) : { count: 0, streams: [] };
      return { count, skip, limit, filter: req.filter, streams: streams.map(toAdminStreamInfo) };
    },

    async adminListUserStreams(req) {
      const userId = userIdOf(req.uid, "uid");
      const { skip, limit } = page(req.skip, req.limit);
      const types = streamTypes(req.filter?.streamTypes);
      if (!(await stores.users.byId(userId))) throw invalidArgument("User not found");
      const rows = await stores.streams.ofMember({ userId, types, includeInactive: req.filter?.includeInactiveStreams === true, skip, limit, oldestFirst: true });
      return { streams: rows.map(toStreamAttributes) };
    },

    async adminListStreamMembers(req) {
      const stream = await stores.streams.byId(requireStreamId(req.streamId));
      if (!stream) streamNotFound();
      const { skip, limit } = page(req.skip, req.limit, 100);
      const { count, members } = await stores.memberships.page(stream.id, skip, limit);
      return { page: { count, skip, limit, members: members.map((m) => toAdminStreamMember(m, stream)) } };
    },
  };
}
