import { createPublicKey } from "node:crypto";
import { invalidArgument } from "@symphony/kit";
import type { UserKey } from "@symphony/proto/pod/v1/users";
import type { Updateable } from "kysely";
import type { UserRow, UsersTable } from "./schema.js";

/** Checks that the PEM is an RSA public key of a usable size and returns it normalised. */
export function validRsaPublicKey(pem: string): string {
  try {
    const key = createPublicKey(pem);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== "rsa" || bits < 2048) throw new Error("weak");
    return key.export({ type: "spki", format: "pem" }).toString();
  } catch {
    throw invalidArgument("currentKey.key must be an RSA public key (PEM, at least 2048 bits)");
  }
}

/** The public keys that may sign this user's login JWTs right now. */
export function activeKeys(u: UserRow, now: number): string[] {
  const keys = u.current_key ? [u.current_key] : [];
  if (u.previous_key && (u.previous_key_expires_at ?? 0) > now) keys.push(u.previous_key);
  return keys;
}

// Symphony keeps a replaced key valid for 72 hours (extendable), so bots can roll keys without downtime.
const PREVIOUS_KEY_GRACE_MS = 72 * 3_600_000;

/** What an admin update's currentKey and previousKey ask for, and whether it revokes a key. */
export function keyChanges(u: UserRow, current: UserKey | undefined, previous: UserKey | undefined, now: number): { changes: Updateable<UsersTable>; endSessions: boolean } {
  const changes: Updateable<UsersTable> = {};
  let endSessions = false;
  const previousValid = u.previous_key !== null && (u.previous_key_expires_at ?? 0) > now;
  if (current?.action === "SAVE" || (current && !current.action && current.key)) {
    const key = validRsaPublicKey(current.key);
    if (key === u.current_key) throw invalidArgument("The new key must differ from the current key");
    if (u.current_key && previousValid) throw invalidArgument("A current and a valid previous key exist: revoke one before saving a new key");
    if (u.current_key) {
      changes.previous_key = u.current_key;
      changes.previous_key_expires_at = now + PREVIOUS_KEY_GRACE_MS;
    }
    changes.current_key = key;
  } else if (current?.action === "REVOKE") {
    if (!u.current_key) throw invalidArgument("There is no current key to revoke");
    // A still-valid previous key takes the current key's place.
    changes.current_key = previousValid ? u.previous_key : null;
    changes.previous_key = null;
    changes.previous_key_expires_at = null;
    endSessions = true;
  } else if (current) {
    throw invalidArgument("currentKey.action must be SAVE or REVOKE");
  }
  if (previous?.action === "EXTEND") {
    if (!previousValid) throw invalidArgument("There is no valid previous key to extend");
    const until = previous.expirationDate ?? now + PREVIOUS_KEY_GRACE_MS;
    if (until <= now || until > now + PREVIOUS_KEY_GRACE_MS) throw invalidArgument("previousKey.expirationDate must be in the next 72 hours");
    changes.previous_key_expires_at = until;
  } else if (previous?.action === "REVOKE") {
    if (!u.previous_key) throw invalidArgument("There is no previous key to revoke");
    changes.previous_key = null;
    changes.previous_key_expires_at = null;
    endSessions = true;
  } else if (previous) {
    throw invalidArgument("previousKey.action must be EXTEND or REVOKE");
  }
  return { changes, endSessions };
}
