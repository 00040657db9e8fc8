import { generateKeyPairSync } from "node:crypto";
import { connectBus, openDb, RevocationList, SESSION_AUDIENCE, TokenIssuer, TokenVerifier, type CallContext } from "@symphony/kit";
import { dropSchema, testCaller, testDatabaseUrl, testNatsUrl, uniqueName } from "@symphony/kit/testing";
import { Event } from "@symphony/proto/events/v1/events";
import type { Insertable } from "kysely";
import { podContext, type PodDeps } from "./context.js";
import { migrations } from "./migrations/index.js";
import type { PodDatabase, UserRow, UsersTable } from "./schema.js";
import { podStores } from "./stores.js";

/**
 * A pod for calling handlers directly in tests: its own Postgres schema (migrated as the service does)
 * and revocation bucket, a clock the test sets, and the access revocations the handlers announced.
 */
export async function podFixture(prefix: string) {
  const schema = uniqueName(prefix);
  const db = await openDb<PodDatabase>({ url: testDatabaseUrl(), schema, migrations });
  const stores = podStores(db);
  const bus = await connectBus(testNatsUrl(), prefix);
  const bucket = schema.toUpperCase();
  const revocations = await RevocationList.open(bus, bucket);
  const { privateKey } = generateKeyPairSync("ed25519");
  const sessions = await TokenIssuer.fromPem(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), SESSION_AUDIENCE, 3600);
  const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => sessions.jwks);
  const clock = { now: Date.now() };
  const notices = { accessRevoked: [] as { streamId: string; userId: number }[] };
  const deps: PodDeps = {
    stores,
    sessions,
    verifier,
    revocations,
    // No relay runs: the tests read the outbox itself.
    published: () => {},
    accessRevoked: (streamId, userId) => void notices.accessRevoked.push({ streamId, userId }),
    now: () => clock.now,
  };
  let users = 0;

  return {
    deps,
    c: podContext(deps),
    stores,
    sessions,
    verifier,
    clock,
    notices,

    /** A new enabled user with a unique username and email. */
    async user(row: Partial<Insertable<UsersTable>> = {}): Promise<UserRow> {
      const username = `${prefix}_user${++users}`;
      const created = await stores.users.create({
        username,
        email: `${username}@example.com`,
        display_name: username,
        first_name: "",
        last_name: "",
        account_type: "NORMAL",
        roles: ["INDIVIDUAL"],
        attributes: "{}",
        created_at: clock.now,
        created_by: null,
        updated_at: clock.now,
        ...row,
      });
      return created!;
    },

    /** The context of a call by this user, with the user's stored roles. */
    async as(user: UserRow): Promise<CallContext> {
      return { caller: await testCaller({ bot: { userId: user.id, username: user.username }, roles: user.roles }), signal: new AbortController().signal };
    },

    /** The events written to the outbox, oldest first, with their recipients. */
    async events(): Promise<{ type: string; recipients: number[] }[]> {
      const rows = await db.selectFrom("outbox").select(["payload", "recipients"]).orderBy("seq").execute();
      return rows.map((r) => ({ type: Event.decode(r.payload).type, recipients: r.recipients.map(Number).sort((a, b) => a - b) }));
    },

    async close(): Promise<void> {
      await bus.jsm.streams.delete(`KV_${bucket}`);
      await bus.close();
      await db.destroy();
      await dropSchema(schema);
    },
  };
}

export type PodFixture = Awaited<ReturnType<typeof podFixture>>;
