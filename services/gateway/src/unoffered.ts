// Symphony paths the mesh does not serve yet whose shape matches a parametric route it does
// serve (POST /agent/v1/message/search would otherwise be GET /agent/v1/message/{id} and a 405,
// or a GET of a message called "search"). Each answers a clear 400 (the one client error their
// OpenAPI definitions list besides 401/403) until an RPC claims it.
export const UNOFFERED_PATHS = ["/agent/v1/message/search", "/agent/v1/message/import"] as const;

export const notOffered = (url: string) => ({ statusCode: 400, message: `${url} is not offered by this pod yet` });
