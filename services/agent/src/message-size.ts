import { invalidArgument, MAX_MESSAGE_BYTES } from "@symphony/kit";

/** Symphony's cap: the MessageML and its data together, in UTF-8 bytes; over it, a 400. */
export function checkMessageSize(message: string, data: string | undefined): void {
  const bytes = Buffer.byteLength(message) + Buffer.byteLength(data ?? "");
  if (bytes > MAX_MESSAGE_BYTES) throw invalidArgument(`The message and its data exceed the limit of ${MAX_MESSAGE_BYTES} bytes`);
}
