import { KEY_MANAGER_TOKEN, SESSION_TOKEN, traceIdOf, unauthenticated, type CallContext, type Principal, type TokenVerifier } from "@symphony/kit";

export interface Caller {
  principal: Principal;
  sessionToken: string;
  kmToken: string;
  traceId: string;
}

/** Both tokens must be valid and name the same user: a session of bot A with a key manager token of bot B is refused. */
export async function authenticateCaller(ctx: CallContext, sessions: TokenVerifier, keyManager: TokenVerifier): Promise<Caller> {
  const sessionToken = ctx.metadata.get(SESSION_TOKEN)[0]?.toString() ?? "";
  const kmToken = ctx.metadata.get(KEY_MANAGER_TOKEN)[0]?.toString() ?? "";
  const [principal, km] = await Promise.all([sessions.verify(sessionToken), keyManager.verify(kmToken)]);
  if (principal.userId !== km.userId) throw unauthenticated("Session and key manager tokens belong to different users");
  return { principal, sessionToken, kmToken, traceId: traceIdOf(ctx) };
}
