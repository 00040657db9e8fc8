import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@symphony/kit";
import { describe, expect, it } from "vitest";
import { loadMasterKeys } from "./master-keys.js";

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "kek-")), "keys");
  writeFileSync(path, text);
  return path;
};
const b64 = () => randomBytes(32).toString("base64");

describe("master key configuration", () => {
  it("reads every version from the file; the highest is current", () => {
    const ring = loadMasterKeys({ file: file(`# rotated 2026-11\n1 ${b64()}\n3 ${b64()}\n2 ${b64()}\n`), version: 1 });
    expect(ring.current).toBe(3);
    expect([...ring.keys.keys()].sort()).toEqual([1, 2, 3]);
  });

  it("takes a single key from KM_MASTER_KEY", () => {
    expect(loadMasterKeys({ key: b64(), version: 4 }).current).toBe(4);
  });

  it("refuses missing, short, malformed and repeated keys with a clear message", () => {
    expect(() => loadMasterKeys({ version: 1 })).toThrow(ConfigError);
    expect(() => loadMasterKeys({ key: randomBytes(16).toString("base64"), version: 1 })).toThrow(/32 bytes/);
    expect(() => loadMasterKeys({ file: file("one two three"), version: 1 })).toThrow(/line 1/);
    expect(() => loadMasterKeys({ file: file(`1 ${b64()}\n1 ${b64()}`), version: 1 })).toThrow(/repeated/);
    expect(() => loadMasterKeys({ file: file(""), version: 1 })).toThrow(ConfigError);
  });
});
