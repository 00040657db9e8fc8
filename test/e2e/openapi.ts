import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";

// Validates every response the e2e suite receives against Symphony's official OpenAPI files
// (vendored in services/gateway/openapi with their LICENSE and NOTICE). Paths we add beyond the public API are skipped.

interface Operation {
  method: string;
  pattern: RegExp;
  responses: Map<number, ValidateFunction | undefined>;
}

type Spec = { definitions?: object; components?: { schemas?: object }; paths: Record<string, Record<string, { responses?: Record<string, ResponseSpec> }>> };
type ResponseSpec = { schema?: object; content?: Record<string, { schema?: object }> };

const ajv = new Ajv({ strict: false, validateFormats: false, validateSchema: false, allErrors: true });
const operations: Operation[] = [];

function load(file: string, prefixes: string[]) {
  const spec = parse(readFileSync(new URL(`../../services/gateway/openapi/${file}`, import.meta.url), "utf8")) as Spec;
  ajv.addSchema(spec as object, file);
  const compile = (schema: object | undefined) => {
    if (!schema) return undefined;
    // Point local references into the registered document.
    const rooted = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${file}#/`)) as object;
    return ajv.compile(rooted);
  };
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!op.responses) continue;
      const responses = new Map<number, ValidateFunction | undefined>();
      for (const [code, r] of Object.entries(op.responses)) {
        responses.set(Number(code), compile(r.schema ?? r.content?.["application/json"]?.schema));
      }
      for (const prefix of prefixes) {
        const pattern = new RegExp(`^${(prefix + path).replace(/\{[^}]+\}/g, "[^/]+")}$`);
        operations.push({ method: method.toUpperCase(), pattern, responses });
      }
    }
  }
}

load("pod-api-public.yaml", ["/pod"]);
load("login-api-public.yaml", ["/login", "/relay"]);
load("authenticator-api-public.yaml", ["/sessionauth", "/keyauth"]);
load("agent-api-public-deprecated.yaml", ["/agent"]);

/** Throws when the response contradicts the official definition of that operation. */
export function checkResponse(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url, "http://x").pathname;
  const op = operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(path));
  if (!op) return;
  if (!op.responses.has(status)) throw new Error(`${method} ${path} answered ${status}, which its OpenAPI definition does not list`);
  // 204 carries no body, whatever schema the file attaches to it.
  if (status === 204) {
    if (body !== undefined) throw new Error(`${method} ${path} answered 204 with a body`);
    return;
  }
  const validate = op.responses.get(status);
  if (validate && !validate(body)) {
    throw new Error(`${method} ${path} ${status} does not match its OpenAPI schema: ${ajv.errorsText(validate.errors)}\n${String(JSON.stringify(body)).slice(0, 500)}`);
  }
}
