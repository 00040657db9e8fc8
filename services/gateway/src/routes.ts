import { getExtension, hasExtension, type DescField, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { RestRule } from "@symphony/proto/api/v1/rest";
import { extension, METHOD_POLICIES, registry, type MethodPolicy } from "@symphony/proto/contracts";

/** One public REST endpoint, read from the google.api.http annotation of an RPC (as grpc-gateway does). */
export interface Route {
  httpMethod: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Fastify path, e.g. /pod/v1/room/:stream_id/membership/add */
  url: string;
  /** Package of the service, which names the upstream (symphony.pod.v1 → pod). */
  upstream: string;
  /** gRPC method path, e.g. /symphony.pod.v1.PodService/AddRoomMember */
  grpcPath: string;
  input: DescMessage;
  output: DescMessage;
  /** Fully qualified output type, e.g. .symphony.pod.v1.AddRoomMemberResponse */
  outputType: string;
  pathFields: DescField[];
  /** "*", a field of the input that takes the whole body, or undefined for no body. */
  body: "*" | DescField | undefined;
  /** The output field that is the whole HTTP response, if not the message itself. */
  responseBody: DescField | undefined;
  rest: RestRule;
  /** The bot credential the RPC's call policy demands: the tokens the route requires as headers. */
  credential: MethodPolicy["credential"];
}

interface HttpRuleShape {
  pattern: { case: string | undefined; value?: unknown };
  body: string;
  responseBody: string;
}

function field(message: DescMessage, name: string, rpc: string): DescField {
  const f = message.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${rpc}: http rule names unknown field ${name} of ${message.typeName}`);
  return f;
}

export function loadRoutes(): Route[] {
  const http = extension("google.api.http");
  const rest = extension("symphony.api.v1.rest");
  const routes: Route[] = [];
  const services = [...registry].filter((t): t is DescService => t.kind === "service" && t.typeName.startsWith("symphony."));
  for (const service of services) {
    for (const method of service.methods) {
      const options = method.proto.options;
      if (!options || !hasExtension(options, http)) continue;
      const rule = getExtension(options, http) as unknown as HttpRuleShape;
      const { case: verb, value } = rule.pattern;
      if (!verb || !["get", "post", "put", "delete", "patch"].includes(verb) || typeof value !== "string") continue;
      const rpc = `${service.typeName}.${method.name}`;
      const pathFields = [...value.matchAll(/\{([a-z0-9_]+)\}/g)].map((m) => field(method.input, m[1]!, rpc));
      const restRule = hasExtension(options, rest)
        ? RestRule.fromPartial(getExtension(options, rest) as unknown as Partial<RestRule>)
        : RestRule.fromPartial({});
      routes.push({
        httpMethod: verb.toUpperCase() as Route["httpMethod"],
        url: value.replace(/\{([a-z0-9_]+)\}/g, ":$1"),
        upstream: service.file.proto.package ?? "",
        grpcPath: `/${service.typeName}/${method.name}`,
        input: method.input,
        output: method.output,
        outputType: `.${method.output.typeName}`,
        pathFields,
        body: rule.body === "*" ? "*" : rule.body ? field(method.input, rule.body, rpc) : undefined,
        responseBody: rule.responseBody ? field(method.output, rule.responseBody, rpc) : undefined,
        rest: restRule,
        credential: METHOD_POLICIES.get(`/${service.typeName}/${method.name}`)!.credential,
      });
    }
  }
  return routes;
}
