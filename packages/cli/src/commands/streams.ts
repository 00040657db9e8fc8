import { unary } from "@symphony/kit/client";
import { AdminListStreamsRequest, AdminListUserStreamsRequest } from "@symphony/proto/pod/v1/pod_service";
import { optionalCount, optionalUserId, strings, type Command, type CommandInput } from "../command.js";
import { table, time } from "../output.js";

const paging = (input: CommandInput) => ({ skip: optionalCount(input, "skip") ?? 0, limit: optionalCount(input, "limit") ?? 0 });

export const streamsList: Command = {
  path: ["streams", "list"],
  synopsis: "[--user ID] [--type IM|MIM|ROOM|POST ...] [--skip N] [--limit N]",
  summary: "every stream of the pod, or the streams a user belongs to (inactive ones included)",
  options: { user: { type: "string" }, type: { type: "string", multiple: true }, skip: { type: "string" }, limit: { type: "string" } },
  async run(input) {
    const uid = optionalUserId(input, "user");
    const streamTypes = strings(input, "type").map((type) => ({ type: type.toUpperCase() }));
    if (uid !== undefined) {
      const request = AdminListUserStreamsRequest.fromPartial({ uid, filter: { streamTypes, includeInactiveStreams: true }, ...paging(input) });
      const { streams } = await input.mesh.pod((pod, md) => unary(pod, pod.adminListUserStreams, request, md));
      return {
        json: streams,
        text: table(
          ["ID", "TYPE", "ACTIVE", "NAME / MEMBERS", "LAST MESSAGE"],
          streams.map((s) => [s.id, s.streamType?.type, s.active, s.roomAttributes?.name ?? s.streamAttributes?.members.join(","), time(s.lastMessageDate)]),
        ),
      };
    }
    const request = AdminListStreamsRequest.fromPartial({ filter: { streamTypes }, ...paging(input) });
    const res = await input.mesh.pod((pod, md) => unary(pod, pod.adminListStreams, request, md));
    const rows = res.streams.map((s) => [
      s.id,
      s.type,
      s.isActive,
      s.attributes?.membersCount,
      s.attributes?.roomName || s.attributes?.members.join(","),
      time(s.attributes?.createdDate),
      time(s.attributes?.lastMessageDate),
    ]);
    const summary = `${res.streams.length} of ${res.count ?? 0} streams (skip ${res.skip ?? 0})\n`;
    return { json: res, text: table(["ID", "TYPE", "ACTIVE", "MEMBERS", "NAME / MEMBERS", "CREATED", "LAST MESSAGE"], rows) + summary };
  },
};

export const streamsMembers: Command = {
  path: ["streams", "members"],
  synopsis: "STREAM_ID [--skip N] [--limit N]",
  summary: "the members of any stream",
  options: { skip: { type: "string" }, limit: { type: "string" } },
  args: { min: 1, max: 1 },
  async run(input) {
    const request = { streamId: input.args[0]!, ...paging(input) };
    const { page } = await input.mesh.pod((pod, md) => unary(pod, pod.adminListStreamMembers, request, md));
    const members = page?.members ?? [];
    return {
      json: page,
      text: table(
        ["USER ID", "DISPLAY NAME", "EMAIL", "OWNER", "CREATOR", "JOINED"],
        members.map((m) => [m.user?.userId, m.user?.displayName, m.user?.email, m.isOwner, m.isCreator, time(m.joinDate)]),
      ),
    };
  },
};
