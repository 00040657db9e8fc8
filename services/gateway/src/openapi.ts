import { readFileSync } from "node:fs";
import { ScalarType, type DescField } from "@bufbuild/protobuf";
import { Credential } from "@symphony/proto/contracts";
import { parse } from "yaml";
import type { Route } from "./routes.js";

// GET /openapi.json: the OpenAPI 3.1 document of exactly the routes this gateway serves, built
// from the same route list as the router. Where Symphony's official files (services/gateway/openapi,
// Apache-2.0) define the operation, its parameters, bodies and responses are the official ones;
// the mesh's own operations get their path parameters and a generic JSON body.

type Json = Record<string, unknown>;
interface Official {
  /** Component name prefix, so that the files' schemas of the same name do not collide. */
  prefix: string;
  method: string;
  pattern: RegExp;
  op: Json;
  swagger2: boolean;
}

// Which official file describes which URL prefixes (the files' paths are relative to them).
const FILES = [
  { file: "pod-api-public.yaml", prefix: "pod", mounts: ["/pod"] },
  { file: "login-api-public.yaml", prefix: "login", mounts: ["/login", "/relay"] },
  { file: "authenticator-api-public.yaml", prefix: "authenticator", mounts: ["/sessionauth", "/keyauth"] },
  { file: "agent-api-public-deprecated.yaml", prefix: "agent", mounts: ["/agent"] },
] as const;

const TOKEN_HEADERS = new Set(["sessiontoken", "keymanagertoken"]);

/** Rewrites a file's local references to the prefixed components of the combined document. */
function rehome(value: unknown, prefix: string): unknown {
  return JSON.parse(JSON.stringify(value ?? null).replace(/"#\/(?:definitions|components\/schemas)\/([^"]+)"/g, `"#/components/schemas/${prefix}.$1"`)) as unknown;
}

/** A Swagger 2.0 parameter's inline type as a 3.1 schema. */
function parameterSchema(p: Json): Json {
  const { type, format, items, enum: values, default: byDefault, minimum, maximum } = p;
  return Object.fromEntries(Object.entries({ type, format, items, enum: values, default: byDefault, minimum, maximum }).filter(([, v]) => v !== undefined));
}

function officialParts(o: Official): { parameters: Json[]; requestBody?: Json; responses: Json } {
  const params = ((o.op.parameters as Json[] | undefined) ?? []).filter((p) => !(p.in === "header" && TOKEN_HEADERS.has(String(p.name).toLowerCase())));
  const responses: Json = {};
  for (const [code, r] of Object.entries((o.op.responses as Record<string, Json> | undefined) ?? {})) {
    if (!o.swagger2) {
      responses[code] = rehome(r, o.prefix);
      continue;
    }
    responses[code] = { description: r.description ?? "", ...(r.schema ? { content: { "application/json": { schema: rehome(r.schema, o.prefix) } } } : {}) };
  }
  if (!o.swagger2) {
    const requestBody = o.op.requestBody ? (rehome(o.op.requestBody, o.prefix) as Json) : undefined;
    return { parameters: rehome(params, o.prefix) as Json[], ...(requestBody ? { requestBody } : {}), responses };
  }
  const body = params.find((p) => p.in === "body");
  const form = params.filter((p) => p.in === "formData");
  const parameters = params
    .filter((p) => p.in === "path" || p.in === "query" || p.in === "header")
    .map((p) => ({ name: p.name, in: p.in, required: p.in === "path" ? true : Boolean(p.required), ...(p.description ? { description: p.description } : {}), schema: rehome(parameterSchema(p), o.prefix) }));
  const requestBody =
    body ? { required: Boolean(body.required), content: { "application/json": { schema: rehome(body.schema, o.prefix) } } }
    : form.length > 0 ? { content: { "multipart/form-data": { schema: { type: "object", properties: Object.fromEntries(form.map((p) => [p.name, p.type === "file" ? { type: "string", contentMediaType: "application/octet-stream" } : parameterSchema(p)])) } } } }
    : undefined;
  return { parameters, ...(requestBody ? { requestBody } : {}), responses };
}

function loadOfficial(): { operations: Official[]; schemas: Json } {
  const operations: Official[] = [];
  const schemas: Json = {};
  for (const { file, prefix, mounts } of FILES) {
    const spec = parse(readFileSync(new URL(`../openapi/${file}`, import.meta.url), "utf8")) as Json;
    const swagger2 = spec.swagger === "2.0";
    const defined = (swagger2 ? spec.definitions : (spec.components as Json | undefined)?.schemas) as Json | undefined;
    for (const [name, schema] of Object.entries(defined ?? {})) schemas[`${prefix}.${name}`] = rehome(schema, prefix);
    for (const [path, methods] of Object.entries(spec.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(methods)) {
        if (typeof op !== "object" || op === null || !("responses" in op)) continue;
        for (const mount of mounts) {
          const pattern = new RegExp(`^${(mount + path).replace(/\{[^}]+\}/g, "\\{[^/]+\\}")}$`);
          operations.push({ prefix, method: method.toUpperCase(), pattern, op: op as Json, swagger2 });
        }
      }
    }
  }
  return { operations, schemas };
}

function fieldSchema(f: DescField): Json {
  if (f.fieldKind !== "scalar") return { type: "string" };
  switch (f.scalar) {
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.SINT32:
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED32:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED32:
    case ScalarType.SFIXED64:
      return { type: "integer" };
    default:
      return { type: "string" };
  }
}

function security(route: Route): Json[] {
  switch (route.credential) {
    case Credential.CREDENTIAL_SESSION:
      return [{ sessionToken: [] }];
    case Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER:
      return [{ sessionToken: [], keyManagerToken: [] }];
    case Credential.CREDENTIAL_KEY_MANAGER:
      return [{ keyManagerToken: [] }];
    default:
      return [];
  }
}

/** The OpenAPI path of a route: the router's `:field` segments as `{field}`. */
export const openApiPath = (route: Route) => route.url.replace(/:([a-z0-9_]+)/g, "{$1}");

export function buildOpenApi(routes: Route[], version: string): Json {
  const { operations: official, schemas } = loadOfficial();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route);
    const match = official.find((o) => o.method === route.httpMethod && o.pattern.test(path));
    const parts = match ? officialParts(match) : undefined;
    // The router's names for path parameters win: they are what the URL template says.
    const pathParameters = route.pathFields.map((f) => ({ name: f.name, in: "path", required: true, schema: fieldSchema(f) }));
    const otherParameters = (parts?.parameters ?? []).filter((p) => p.in !== "path");
    const genericBody = route.body ? { content: { "application/json": { schema: { type: "object" } } } } : undefined;
    const requestBody = parts?.requestBody ?? genericBody;
    const [, service = "", method = ""] = /^\/(.+)\/([^/]+)$/.exec(route.grpcPath) ?? [];
    paths[path] ??= {};
    paths[path][route.httpMethod.toLowerCase()] = {
      operationId: `${service}.${method}`,
      ...(typeof match?.op.summary === "string" ? { summary: match.op.summary } : {}),
      description: `gRPC ${service}/${method}.${match ? "" : " A mesh operation: no official Symphony definition."}`,
      tags: [route.upstream.split(".")[1] ?? route.upstream],
      parameters: [...pathParameters, ...otherParameters],
      ...(requestBody ? { requestBody } : {}),
      responses: parts && Object.keys(parts.responses).length > 0 ? parts.responses : { default: { description: "The response of the RPC, or a Symphony error body `{code, message}`" } },
      security: security(route),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Symphony mesh REST API", version, license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
    paths,
    components: {
      schemas,
      securitySchemes: {
        sessionToken: { type: "apiKey", in: "header", name: "sessionToken" },
        keyManagerToken: { type: "apiKey", in: "header", name: "keyManagerToken" },
      },
    },
  };
}
