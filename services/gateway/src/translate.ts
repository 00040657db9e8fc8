import { fromJson, toBinary, type DescField, type JsonValue } from "@bufbuild/protobuf";
import { codecsByTypeName } from "@symphony/proto";
import { registry } from "@symphony/proto/contracts";
import { populate } from "./populate.js";
import type { Route } from "./routes.js";

export class BadRequest extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function queryValue(f: DescField, raw: string): JsonValue {
  if (f.fieldKind === "scalar" && f.scalar === 8 /* bool */) {
    // The Python BDK writes Python's own spelling, True/False.
    if (raw === "true" || raw === "True") return true;
    if (raw === "false" || raw === "False") return false;
    throw new BadRequest(`Query parameter ${f.jsonName} must be true or false`);
  }
  return raw;
}

/**
 * Builds the gRPC request from the path, the query string and the body the way
 * google.api.http defines it, with proto3 JSON rules (so wrong types are a 400, not a crash).
 */
export function encodeRequest(route: Route, params: Record<string, string>, query: Record<string, unknown>, body: unknown): Uint8Array {
  let json: Record<string, JsonValue> = {};
  if (route.body === "*") {
    if (body !== undefined && body !== null && !isObject(body)) throw new BadRequest("The request body must be a JSON object");
    json = { ...((body ?? {}) as Record<string, JsonValue>) };
  } else if (route.body && body !== undefined) {
    json[route.body.jsonName] = body as JsonValue;
  }
  const bound = new Set<string>([...route.pathFields.map((f) => f.name), ...(route.body instanceof Object ? [route.body.name] : [])]);
  if (route.body !== "*") {
    for (const f of route.input.fields) {
      if (bound.has(f.name) || f.fieldKind !== "scalar") continue;
      const raw = query[f.jsonName] ?? query[f.name];
      if (typeof raw === "string") json[f.jsonName] = queryValue(f, raw);
    }
  }
  for (const f of route.pathFields) json[f.jsonName] = params[f.name] ?? "";
  try {
    return toBinary(route.input, fromJson(route.input, json, { ignoreUnknownFields: true, registry }));
  } catch (err) {
    const reason = (err as Error).message.replace(/^cannot decode (message|field) [\w.]+( from JSON)?:?\s*/, "");
    throw new BadRequest(`Invalid request: ${reason}`.slice(0, 300));
  }
}

/** The JSON the public API answers with (int64 as numbers, as Symphony sends them), or undefined for "nothing". */
export function decodeResponse(route: Route, bytes: Uint8Array): unknown {
  const codec = codecsByTypeName.get(route.outputType);
  if (!codec) throw new Error(`no codec for ${route.outputType}`);
  const json = codec.toJSON(codec.decode(bytes)) as Record<string, unknown>;
  populate(route.output, json);
  return route.responseBody ? json[route.responseBody.jsonName] : json;
}
