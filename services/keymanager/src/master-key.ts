import { ConfigError } from "@symphony/kit";
import type { MasterKey } from "./custody.js";

/** KM_MASTER_KEY: 32 random bytes, base64. Checked here so a bad secret stops the process at start. */
export function masterKey(base64: string, version: number): MasterKey {
  const key = Buffer.from(base64, "base64");
  if (key.length !== 32) throw new ConfigError("KM_MASTER_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)");
  return { version, key };
}
