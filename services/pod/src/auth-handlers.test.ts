import { status } from "@symphony/kit";
import { testCaller } from "@symphony/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHandlers } from "./auth-handlers.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let auth: ReturnType<typeof authHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_auth");
  auth = authHandlers(f.c);
});
afterAll(() => f.close());

const withCertificate = async (certificateName: string) => ({ caller: await testCaller({ certificateName }), signal: new AbortController().signal });

describe("auth handlers", () => {
  it("give a session to the enabled service account a client certificate names", async () => {
    const bot = await f.user({ account_type: "SYSTEM" });
    const { token } = await auth.authenticateCertificate({}, await withCertificate(bot.username));
    expect(await f.verifier.verify(token)).toMatchObject({ userId: bot.id, username: bot.username });
  });

  it("refuse with 403 a certificate of a person, of a disabled account or of nobody", async () => {
    const person = await f.user({ account_type: "NORMAL" });
    const disabled = await f.user({ account_type: "SYSTEM", status: "DISABLED" });
    for (const name of [person.username, disabled.username, "nobody"]) {
      await expect(auth.authenticateCertificate({}, await withCertificate(name))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    }
  });

  it("end the session on logout, and only that one", async () => {
    const bot = await f.user();
    const [token, other] = [await f.sessions.issue(bot.id, bot.username), await f.sessions.issue(bot.id, bot.username)];
    const ctx = { caller: await testCaller({ bot: await f.verifier.verify(token) }), signal: new AbortController().signal };
    await auth.logout({}, ctx);
    await expect(f.verifier.verify(token)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await f.verifier.verify(other)).toMatchObject({ userId: bot.id });
  });
});
