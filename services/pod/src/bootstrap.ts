import { readFileSync } from "node:fs";
import type { Logger } from "@symphony/kit";
import { validRsaPublicKey } from "./user-keys.js";
import type { UserStore } from "./user-store.js";

/**
 * On first start, creates the service account `admin` with USER_PROVISIONING so an operator
 * can provision bots; later starts (and other replicas) leave the existing account alone.
 */
export async function ensureAdminAccount(users: UserStore, publicKeyFile: string | undefined, logger: Logger): Promise<void> {
  if (await users.byUsername("admin")) return;
  if (!publicKeyFile) {
    logger.warn("no admin account and ADMIN_PUBLIC_KEY_FILE is not set: nobody can provision users");
    return;
  }
  const now = Date.now();
  const created = await users.createIfAbsent({
    username: "admin",
    email: "admin@symphony.local",
    display_name: "Administrator",
    first_name: "",
    last_name: "",
    account_type: "SYSTEM",
    roles: ["USER_PROVISIONING"],
    attributes: JSON.stringify({}),
    current_key: validRsaPublicKey(readFileSync(publicKeyFile, "utf8")),
    created_at: now,
    created_by: null,
    updated_at: now,
  });
  if (created) logger.info("created service account admin with role USER_PROVISIONING");
}
