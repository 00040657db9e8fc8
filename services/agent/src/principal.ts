import { traceIdOf, type CallContext, type Principal } from "@symphony/kit";

/** The bot an agent call acts for, with the tokens it forwards to the pod and the key manager. */
export interface ActingBot {
  principal: Principal;
  sessionToken: string;
  kmToken: string;
  traceId: string;
}

/** The bot of a call whose policy required both tokens (CallGuard checked that they name one user). */
export function actingBot(ctx: CallContext): ActingBot {
  const { caller } = ctx;
  return { principal: caller.bot, sessionToken: caller.sessionToken ?? "", kmToken: caller.keyManagerToken ?? "", traceId: traceIdOf(ctx) };
}
