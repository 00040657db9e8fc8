import multipart from "@fastify/multipart";
import { Metadata } from "@grpc/grpc-js";
import type { TLSSocket } from "node:tls";
import { context, trace } from "@opentelemetry/api";
import { getRPCMetadata, RPCType } from "@opentelemetry/core";
import { ATTR, CLIENT_CERT_CN, CLIENT_TRACE_ID, isServiceError, KEY_MANAGER_TOKEN, MAX_MESSAGE_BYTES, SESSION_TOKEN, type Logger } from "@symphony/kit";
import { Credential } from "@symphony/proto/contracts";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { registerApiDocs } from "./docs.js";
import { errorBody, fromGrpc, type HttpError } from "./errors.js";
import type { Route } from "./routes.js";
import { BadRequest, decodeResponse, encodeRequest } from "./translate.js";
import { notOffered, UNOFFERED_PATHS } from "./unoffered.js";
import type { Upstreams } from "./upstream.js";

// Symphony caps message + data at 1.5 MB; a little room for the rest of a JSON body.
const BODY_LIMIT = 2 * 1024 * 1024;
// Multipart truncates a longer field silently: one byte over the cap reaches the agent, which
// answers 400, instead of a cut message being sent.
const FIELD_LIMIT = MAX_MESSAGE_BYTES + 1;
const UPSTREAM_TIMEOUT_MS = 35_000;
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

export interface GatewayOptions {
  routes: Route[];
  upstreams: Upstreams;
  logger: Logger;
  /** Builds the OpenAPI document of `routes`, served at /openapi.json and browsed at /docs. */
  openApi?: () => object;
  /** With `ca`, clients may present a certificate signed by it (certificate authentication). */
  https?: { key: Buffer; cert: Buffer; ca?: Buffer };
}

function reject(reply: FastifyReply, e: HttpError) {
  return reply.code(e.statusCode).send(errorBody(e));
}

/** The common name of a client certificate the TLS layer verified against the configured CA. */
function clientCertificateName(req: FastifyRequest): string | undefined {
  const socket = req.raw.socket as TLSSocket;
  if (!socket.encrypted || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === "string" && cn.length > 0 && cn.length <= 256 ? cn : undefined;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The whole public REST API, generated from the routes; no business logic lives here. */
export async function buildGateway(opts: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyServerOptions["loggerInstance"],
    bodyLimit: BODY_LIMIT,
    // Long garbage ids must reach validation and get a 400, not a 414.
    routerOptions: { maxParamLength: 2048 },
    // Fastify's own request logging writes two lines with every header; the access log below writes one.
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.https ? { https: { ...opts.https, ...(opts.https.ca ? { requestCert: true, rejectUnauthorized: false } : {}) } } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;

  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { fieldSize: FIELD_LIMIT, fields: 20, files: 0, parts: 20, headerPairs: 100 },
  });
  // The Python BDK sends Content-Type: application/json on every POST, also the body-less ones
  // (setActive, presence feed…): an empty JSON body means no body.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: BODY_LIMIT }, (req, body, done) => {
    const text = body.toString();
    if (text.trim() === "") return done(null, undefined);
    json(req, text, done);
  });
  // Some clients POST with no body and no content type; treat that as an empty JSON object.
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    if (body === "") return done(null, undefined);
    const err = new Error("Unsupported content type") as Error & { statusCode: number };
    err.statusCode = 415;
    done(err);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const route = (req.routeOptions.config as { route?: Route }).route;
    let statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (statusCode === 400 && route?.rest.invalidRequestCode) statusCode = route.rest.invalidRequestCode;
    if (statusCode === 500) opts.logger.error({ err }, "gateway error");
    const message =
      statusCode === 413 ? "Request body is too large"
      : err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || err instanceof SyntaxError ? "Malformed JSON body"
      : statusCode === 500 ? "Internal server error"
      : err.message;
    return reject(reply, { statusCode, message });
  });
  // The HTTP instrumentation names server spans and labels request metrics with this route template.
  app.addHook("onRequest", (req, _reply, done) => {
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP && req.routeOptions.url) rpc.route = req.routeOptions.url;
    done();
  });
  // The access log: one line per request at info (LOG_LEVEL=warn turns it off). It names the route
  // template, never the query or a header, so no token, cookie or Authorization value can reach it.
  app.addHook("onResponse", (req, reply, done) => {
    opts.logger.info(
      { method: req.method, route: req.routeOptions.url ?? "(unrouted)", status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, reqId: req.id, remote: req.ip },
      "request",
    );
    done();
  });
  app.setNotFoundHandler((_req, reply) => reject(reply, { statusCode: 404, message: "Not found" }));

  if (opts.openApi) registerApiDocs(app, opts.openApi);

  const methodsByUrl = new Map<string, Set<string>>();
  for (const route of opts.routes) {
    methodsByUrl.set(route.url, (methodsByUrl.get(route.url) ?? new Set()).add(route.httpMethod));
    app.route({
      method: route.httpMethod,
      url: route.url,
      config: { route },
      handler: (req, reply) => forward(route, req, reply),
    });
  }
  for (const [url, used] of methodsByUrl) {
    const others = METHODS.filter((m) => !used.has(m));
    if (others.length > 0) app.route({ method: others, url, handler: (_req, reply) => reject(reply, { statusCode: 405, message: "Method not allowed" }) });
  }
  for (const url of UNOFFERED_PATHS) {
    if (!methodsByUrl.has(url)) app.route({ method: [...METHODS], url, handler: (_req, reply) => reject(reply, notOffered(url)) });
  }

  async function forward(route: Route, req: FastifyRequest, reply: FastifyReply) {
    const metadata = new Metadata();
    const { credential } = route;
    // Like Symphony's agent, each call carries only the tokens its route uses: a /pod call never
    // sees a keyManagerToken.
    const wanted: [string, string][] = [
      ...(credential === Credential.CREDENTIAL_SESSION || credential === Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER ? [["sessiontoken", SESSION_TOKEN] as [string, string]] : []),
      ...(credential === Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER || credential === Credential.CREDENTIAL_KEY_MANAGER ? [["keymanagertoken", KEY_MANAGER_TOKEN] as [string, string]] : []),
    ];
    for (const [headerName, key] of wanted) {
      const token = header(req, headerName);
      if (!token) return reject(reply, { statusCode: 401, message: "Invalid session" });
      metadata.set(key, token);
    }
    const cn = clientCertificateName(req);
    if (cn) metadata.set(CLIENT_CERT_CN, cn);
    const traceId = header(req, "x-trace-id");
    if (traceId && /^[\w-]{1,64}$/.test(traceId)) {
      metadata.set(CLIENT_TRACE_ID, traceId);
      trace.getActiveSpan()?.setAttribute(ATTR.clientTraceId, traceId);
    }
    if (req.isMultipart() && !route.rest.multipart) return reject(reply, { statusCode: 415, message: "Unsupported content type" });
    let request: Uint8Array;
    try {
      request = encodeRequest(route, req.params as Record<string, string>, req.query as Record<string, unknown>, req.body);
    } catch (err) {
      if (err instanceof BadRequest) return reject(reply, { statusCode: route.rest.invalidRequestCode || 400, message: err.message });
      throw err;
    }
    let response: Buffer;
    try {
      response = await opts.upstreams.call(route.upstream, route.grpcPath, request, metadata, UPSTREAM_TIMEOUT_MS);
    } catch (err) {
      if (isServiceError(err)) return reject(reply, fromGrpc(err));
      throw err;
    }
    const body = decodeResponse(route, response);
    const isEmpty = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);
    const field = route.rest.noContentField;
    if (route.rest.noContentWhenEmpty && isEmpty(body)) return reply.code(204).send();
    if (field && isEmpty((body as Record<string, unknown> | undefined)?.[field])) return reply.code(204).send();
    return reply.code(route.rest.successCode || 200).send(body ?? {});
  }

  return app;
}
