import { invalidArgument, notFound, permissionDenied, type UnaryHandlers } from "@symphony/kit";
import type { TenantPrincipal } from "./pods.js";
import type { ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { parseHash } from "@symphony/sdk/hash";
import type { Access } from "./access.js";
import { gone } from "./errors.js";
import { documentJson, parseObject, requireHash, type ParsedObject } from "./objects.js";
import { cutPage, numericCursor, pageLimit } from "./paging.js";
import { accessOf, type ObjectStoreDeps } from "./context.js";

// DynamoDB fits 25 rows in a transaction and Allegro spends 4 per object.
const MAX_TRANSACTION = 6;

const objectNotFound = () => notFound("The object does not exist");

type Handlers = Pick<UnaryHandlers<ObjectStoreServiceServer, TenantPrincipal>, "storeObject" | "storeTransaction" | "getObject" | "listObjectVersions">;

export function objectHandlers(deps: ObjectStoreDeps): Handlers {
  const { store } = deps;

  /** Ownership and rights for every object first, then one all-or-nothing transaction. */
  async function write(access: Access, objects: ParsedObject[]): Promise<void> {
    const { podId, userId } = access.caller;
    for (const o of objects) {
      if (o.owner !== userId) throw permissionDenied("The owner of an object must be the caller");
      const threadId = o.threadId ?? (o.prevHash ? (await store.head(podId, o.baseHash))?.thread_id : undefined);
      await access.requireWrite(o.partitionHash, threadId);
    }
    if ((await store.write(podId, objects, Date.now())) > 0) deps.published();
  }

  return {
    async storeObject(req, ctx) {
      const access = accessOf(deps, ctx);
      const hash = parseHash(req.objectHash);
      if (!hash) throw invalidArgument("objectHash must be a Symphony hash (Base64 of 34 bytes, type 1)");
      const object = parseObject(req.object);
      if (!object.absoluteHash.equals(hash)) throw invalidArgument("objectHash is not the hash of the object's canonical JSON");
      await write(access, [object]);
      return {};
    },

    async storeTransaction(req, ctx) {
      const access = accessOf(deps, ctx);
      if (req.objects.length === 0 || req.objects.length > MAX_TRANSACTION) throw invalidArgument(`A transaction holds 1 to ${MAX_TRANSACTION} objects`);
      await write(access, req.objects.map((o) => parseObject(o)));
      return {};
    },

    async getObject(req, ctx) {
      const access = accessOf(deps, ctx);
      const { podId } = access.caller;
      const hash = requireHash(req.objectHash, "objectHash");
      const now = Date.now();
      if (!req.currentVersion) {
        const row = await store.object(podId, hash, now);
        if (!row) throw objectNotFound();
        await access.requireRead(row.partition_hash, row.thread_id);
        return { object: documentJson(row.document) };
      }
      const head = await store.head(podId, hash);
      if (!head) throw objectNotFound();
      await access.requireRead(head.partition_hash, head.thread_id);
      if (head.deleted) throw gone();
      const row = await store.object(podId, head.absolute_hash, now);
      if (!row) throw objectNotFound();
      return { object: documentJson(row.document) };
    },

    async listObjectVersions(req, ctx) {
      const access = accessOf(deps, ctx);
      const { podId } = access.caller;
      const baseHash = requireHash(req.objectHash, "objectHash");
      const limit = pageLimit(req.limit);
      const after = numericCursor(req.after);
      const head = await store.head(podId, baseHash);
      if (!head) throw objectNotFound();
      await access.requireRead(head.partition_hash, head.thread_id);
      const rows = await store.versions(podId, baseHash, after, req.scanForwards ?? true, limit + 1, Date.now());
      const page = cutPage(rows, limit, (r) => r.document.length, (r) => String(r.version_seq), req.after);
      return { pagination: { cursors: { before: page.before, after: page.after } }, data: page.rows.map((r) => documentJson(r.document)) };
    },
  };
}
