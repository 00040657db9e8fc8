import { ATTR, inSpan, invalidArgument, metadataOf, newSymphonyId, normalizeSymphonyId, requireStreamId, SESSION_TOKEN, SPAN, unary, type UnaryHandlers } from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import { encryptFormAction } from "./envelope.js";
import { actingBot } from "./principal.js";
import type { AgentDeps } from "./service.js";

type FormHandlers = Pick<UnaryHandlers<AgentServiceServer>, "submitForm">;

const MAX_FORM_ID_CHARS = 256;
const MAX_FORM_VALUES_BYTES = 64 * 1024;

export function formHandlers(deps: AgentDeps): FormHandlers {
  return {
    async submitForm(req, ctx) {
      const caller = actingBot(ctx);
      const streamId = requireStreamId(req.streamId);
      const formMessageId = normalizeSymphonyId(req.formMessageId);
      if (!formMessageId) throw invalidArgument("Invalid form message id");
      if (!req.formId.trim()) throw invalidArgument("formId is required");
      if (req.formId.length > MAX_FORM_ID_CHARS) throw invalidArgument(`formId is longer than ${MAX_FORM_ID_CHARS} characters`);
      if (!req.formValues) throw invalidArgument("formValues is required: an object of the form's values");
      if (Buffer.byteLength(JSON.stringify(req.formValues)) > MAX_FORM_VALUES_BYTES) throw invalidArgument(`formValues exceed ${MAX_FORM_VALUES_BYTES} bytes`);
      const key = await deps.keys.current(caller.principal.userId, streamId, caller);
      const actionId = newSymphonyId();
      const ciphertext = await inSpan(SPAN.encrypt, { [ATTR.streamId]: streamId, [ATTR.messageId]: actionId, [ATTR.rotationId]: key.rotationId }, () =>
        encryptFormAction(key, streamId, actionId, { formId: req.formId, formValues: req.formValues }),
      );
      await unary(deps.pod, deps.pod.submitElementsAction, { streamId, formMessageId, actionId, ciphertext }, metadataOf({ [SESSION_TOKEN]: caller.sessionToken }));
      return {};
    },
  };
}
