import { describe, expect, it } from "vitest";
import { ConfigError, env, loadConfig } from "./config.js";

describe("loadConfig", () => {
  const schema = {
    port: env.port("GRPC_PORT", 9000),
    db: env.url("DATABASE_URL"),
    pod: env.address("POD_ADDR"),
    flag: env.boolean("FLAG", false),
    file: env.optional(env.string("SOME_FILE")),
  };

  it("reads values and applies defaults", () => {
    expect(loadConfig(schema, { DATABASE_URL: "postgres://x@h/db", POD_ADDR: "pod:9101", FLAG: "TRUE" })).toEqual({
      port: 9000,
      db: "postgres://x@h/db",
      pod: "pod:9101",
      flag: true,
      file: undefined,
    });
  });

  it("names every bad or missing variable in one error", () => {
    let error: unknown;
    try {
      loadConfig(schema, { GRPC_PORT: "99999", POD_ADDR: "nohost", FLAG: "maybe" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ["GRPC_PORT", "DATABASE_URL", "POD_ADDR", "FLAG"]) expect(message).toContain(name);
    expect(message).not.toContain("SOME_FILE");
  });
});
