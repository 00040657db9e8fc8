import { invalidArgument, notFound, permissionDenied, type UnaryHandlers } from "@symphony/kit";
import type { TenantPrincipal } from "./pods.js";
import type { ObjectStoreServiceServer, Partition } from "@symphony/proto/objectstore/v1/objectstore_service";
import { MODEL_VERSION, SHA256_HASH_TYPE, TYPES } from "@symphony/sdk/hash";
import { parseGrants, userPermissions } from "./grants.js";
import { documentJson, parseIdObject, requireHash, requireSortKey } from "./objects.js";
import { cutPage, numericCursor, pageLimit } from "./paging.js";
import { accessOf, type ObjectStoreDeps } from "./context.js";

type Handlers = Pick<
  UnaryHandlers<ObjectStoreServiceServer, TenantPrincipal>,
  "upsertPartition" | "getPartition" | "getPartitionObject" | "listPartitionObjects" | "listPartitionUsers"
>;

const partitionJson = (idObject: string): Partition => ({ type: TYPES.partition, version: MODEL_VERSION, hashType: SHA256_HASH_TYPE, id: documentJson(idObject) });

const optionalSortKey = (value: string, field: string) => (value ? requireSortKey(value, field) : undefined);

export function partitionHandlers(deps: ObjectStoreDeps): Handlers {
  const { store } = deps;
  return {
    async upsertPartition(req, ctx) {
      const access = accessOf(deps, ctx);
      const { podId, userId } = access.caller;
      const id = parseIdObject(req.partitionId, "partitionId");
      // Nobody may pre-claim an ID another user would create.
      if (id.userId !== userId) throw permissionDenied("The provided ID object MUST contain the callers userId");
      await store.upsertPartition(podId, id.hash, userId, id.document, parseGrants(req.userPermissions, ["READ", "WRITE"]), Date.now());
      return { partition: partitionJson(id.document) };
    },

    async getPartition(req, ctx) {
      const access = accessOf(deps, ctx);
      const p = await access.requireAnyRight(requireHash(req.partitionHash, "partitionHash"));
      return { partition: partitionJson(p.idObject) };
    },

    async getPartitionObject(req, ctx) {
      const access = accessOf(deps, ctx);
      const partitionHash = requireHash(req.partitionHash, "partitionHash");
      const sortKey = requireSortKey(req.sortKey, "sortKey");
      await access.requireRead(partitionHash, null);
      const row = await store.currentObject(access.caller.podId, partitionHash, sortKey, Date.now());
      if (!row) throw notFound("No current object has this sort key");
      await access.requireRead(row.partition_hash, row.thread_id);
      return { object: documentJson(row.document) };
    },

    async listPartitionObjects(req, ctx) {
      const access = accessOf(deps, ctx);
      const partitionHash = requireHash(req.partitionHash, "partitionHash");
      const limit = pageLimit(req.limit);
      const prefix = optionalSortKey(req.sortKeyPrefix, "sortKeyPrefix");
      const min = optionalSortKey(req.sortKeyMin, "sortKeyMin");
      const max = optionalSortKey(req.sortKeyMax, "sortKeyMax");
      const after = optionalSortKey(req.after, "after");
      if (prefix && (min || max)) throw invalidArgument("sortKeyPrefix cannot be combined with sortKeyMin or sortKeyMax");
      await access.requireListing(partitionHash);
      const forwards = req.scanForwards ?? true;
      const rows = await store.partitionPage(access.caller.podId, partitionHash, { after, prefix, min, max, forwards, limit: limit + 1 }, Date.now());
      const page = cutPage(rows, limit, (r) => r.document.length, (r) => r.sort_key, req.after);
      // Objects of threads the caller may not read are left out; the cursor still moves past them.
      const readable = await Promise.all(page.rows.map(async (r) => ((await access.readRefusal(r.partition_hash, r.thread_id)) ? undefined : r)));
      return {
        pagination: { cursors: { before: page.before, after: page.after } },
        data: readable.flatMap((r) => (r ? [documentJson(r.document)] : [])),
      };
    },

    async listPartitionUsers(req, ctx) {
      const access = accessOf(deps, ctx);
      const partitionHash = requireHash(req.partitionHash, "partitionHash");
      const limit = pageLimit(req.limit);
      const after = numericCursor(req.after);
      await access.requireAnyRight(partitionHash);
      const rows = await store.partitionGrants(access.caller.podId, partitionHash, after ?? 0, limit + 1);
      const page = cutPage(rows, limit, () => 0, (r) => String(r.user_id), req.after);
      return {
        pagination: { cursors: { before: page.before, after: page.after } },
        data: page.rows.map((r) => userPermissions(r.user_id, r.can_read, r.can_write)),
      };
    },
  };
}
