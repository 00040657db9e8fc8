import { readFileSync } from "node:fs";
import { ConfigError } from "@symphony/kit";

/** The master keys (KEKs) the key manager holds: every loaded version, the newest wraps new content keys. */
export interface MasterKeyRing {
  current: number;
  keys: Map<number, Buffer>;
}

function key(base64: string, where: string): Buffer {
  const k = Buffer.from(base64.trim(), "base64");
  if (k.length !== 32) throw new ConfigError(`${where} must be 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`)`);
  return k;
}

/**
 * KM_MASTER_KEY_FILE: one `<version> <base64 key>` per line (a mounted Secret; rotating means
 * adding a line with a higher version); or KM_MASTER_KEY with KM_MASTER_KEY_VERSION for one key.
 */
export function loadMasterKeys(source: { file?: string; key?: string; version: number }): MasterKeyRing {
  const keys = new Map<number, Buffer>();
  if (source.file) {
    const lines = readFileSync(source.file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const [i, line] of lines.entries()) {
      const m = /^(\d{1,9})\s+(\S+)$/.exec(line);
      if (!m) throw new ConfigError(`KM_MASTER_KEY_FILE line ${i + 1} must be "<version> <base64 key>"`);
      const version = Number(m[1]);
      if (version < 1 || keys.has(version)) throw new ConfigError(`KM_MASTER_KEY_FILE line ${i + 1}: version ${version} is invalid or repeated`);
      keys.set(version, key(m[2]!, `KM_MASTER_KEY_FILE version ${version}`));
    }
  } else if (source.key) {
    keys.set(source.version, key(source.key, "KM_MASTER_KEY"));
  }
  if (keys.size === 0) throw new ConfigError("a master key is required: set KM_MASTER_KEY_FILE or KM_MASTER_KEY");
  return { current: Math.max(...keys.keys()), keys };
}
