import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";

// /docs: Swagger UI over /openapi.json, its assets served from the swagger-ui-dist package so the
// page works offline (no CDN). The assets are read once, at start.
const ASSETS = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Symphony mesh REST API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout" });
</script>
</body>
</html>
`;

/** `document` is built on the first request and kept: parsing the official files would slow every start. */
export function registerApiDocs(app: FastifyInstance, document: () => object): void {
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const assets = Object.entries(ASSETS).map(([file, type]) => ({ file, type, body: readFileSync(join(dist, file)) }));
  let json: string | undefined;
  app.get("/openapi.json", (_req, reply) => reply.type("application/json; charset=utf-8").send((json ??= JSON.stringify(document()))));
  app.get("/docs", (_req, reply) => reply.type("text/html; charset=utf-8").send(PAGE));
  for (const { file, type, body } of assets) app.get(`/docs/${file}`, (_req, reply) => reply.type(type).header("cache-control", "public, max-age=86400").send(body));
}
