import { SaxesParser, type SaxesTagPlain } from "saxes";
import { CHIME, checkAttributes, clip, elementTag, entityObject, escapeXml, MarkupError, MAX_DEPTH, required, rootTag, VOID_TAGS } from "./markup-policy.js";
import { checkPresentationML } from "./presentationml.js";

// MessageML → PresentationML, following finos/messageml-utils. The input is streamed through a
// strict XML parser with DTDs refused (no XXE, no entity expansion bombs), tags and attributes
// are allow-listed (markup-policy.ts, the same list decrypted content is checked with on read),
// and Freemarker templates are not expanded: `${…}` stays literal text.

export interface MentionedUser {
  userId: number;
  displayName: string;
}

export interface ConversionResult {
  presentationML: string;
  /** Serialised EntityJSON object ("{}" when there are no entities). */
  entityJson: string;
}

/** Invalid input; the message is shown to API clients. */
export class MessageMLError extends Error {}

const MAX_INPUT_CHARS = 1_500_000;
const ENTITY_ATTRIBUTES = new Map<string, string[]>([
  ["mention", ["uid", "email", "strict"]],
  ["hash", ["tag"]],
  ["cash", ["tag"]],
  ["emoji", ["shortcode"]],
  ["chime", []],
]);
const VERBATIM_TAGS = new Set(["code", "pre"]);

interface EntityPart {
  prefix: "mention" | "keyword" | "emoji";
  text: string;
  data: object;
}
/** Rendered once users are resolved, since an unknown user may turn into plain text. */
interface MentionPart {
  uid: number;
  strict: boolean;
}
type Part = string | EntityPart | MentionPart;

interface Frame {
  name: string;
  close: string;
  /** Void and entity elements: any content is an error. */
  empty: boolean;
  verbatim: boolean;
}

function fail(message: string): never {
  throw new MessageMLError(message);
}

function openRoot({ name, attributes }: SaxesTagPlain): string {
  if (name !== "messageML") return rootTag(name, attributes);
  checkAttributes(name, attributes, []);
  return '<div data-format="PresentationML" data-version="2.0">';
}

function entityPart(name: string, attributes: Record<string, string>): Part {
  switch (name) {
    case "mention": {
      if (attributes.email !== undefined) fail("mention by email is not supported");
      const uid = required(name, attributes, "uid");
      if (!/^\d+$/.test(uid) || !Number.isSafeInteger(Number(uid)) || Number(uid) === 0) fail('"uid" in "mention" must be a positive integer');
      const strict = attributes.strict ?? "true";
      if (strict !== "true" && strict !== "false") fail('"strict" in "mention" must be "true" or "false"');
      return { uid: Number(uid), strict: strict === "true" };
    }
    case "hash": {
      const tag = required(name, attributes, "tag");
      return { prefix: "keyword", text: `#${tag}`, data: { type: "org.symphonyoss.taxonomy", version: "1.0", id: [{ type: "org.symphonyoss.taxonomy.hashtag", value: tag }] } };
    }
    case "cash": {
      const tag = required(name, attributes, "tag");
      return { prefix: "keyword", text: `$${tag}`, data: { type: "org.symphonyoss.fin.security", version: "1.0", id: [{ type: "org.symphonyoss.fin.security.id.ticker", value: tag }] } };
    }
    case "emoji": {
      const shortcode = required(name, attributes, "shortcode");
      return { prefix: "emoji", text: `:${shortcode}:`, data: { type: "com.symphony.emoji", version: "1.0", data: { annotation: shortcode } } };
    }
    default:
      return CHIME;
  }
}

/** One pass over the saxes events; mentions stay unrendered until their users are resolved. */
function parse(message: string): { parts: Part[]; uids: Set<number> } {
  const parts: Part[] = [];
  const uids = new Set<number>();
  const stack: Frame[] = [];
  let pendingText = "";
  let chimes = 0;
  let otherRootContent = false;

  // Adjacent text and CDATA are joined first so that a newline run spanning both collapses once.
  const flushText = () => {
    const frame = stack.at(-1);
    if (pendingText === "" || frame === undefined) return;
    const text = frame.verbatim ? pendingText : pendingText.replace(/(?:\r?\n)+/g, " ");
    if (stack.length === 1 && text.trim() !== "") otherRootContent = true;
    parts.push(escapeXml(text));
    pendingText = "";
  };

  const parser = new SaxesParser({ xmlns: false });
  parser.on("error", (err) => fail(`Invalid XML: ${clip(err.message)}`));
  parser.on("doctype", () => fail("DOCTYPE is not allowed in MessageML"));
  parser.on("processinginstruction", () => fail("Processing instructions are not allowed in MessageML"));
  const onText = (text: string) => {
    const frame = stack.at(-1);
    // saxes already rejects anything but whitespace outside the root.
    if (frame === undefined) return;
    if (frame.empty) fail(`"${frame.name}" must be empty`);
    pendingText += text;
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("opentag", (tag) => {
    flushText();
    const parent = stack.at(-1);
    if (parent === undefined) {
      parts.push(openRoot(tag));
      stack.push({ name: tag.name, close: "</div>", empty: false, verbatim: false });
      return;
    }
    if (parent.empty) fail(`"${parent.name}" must be empty`);
    if (stack.length >= MAX_DEPTH) fail(`MessageML cannot be nested deeper than ${MAX_DEPTH} levels`);
    if (stack.length === 1 && tag.name !== "chime") otherRootContent = true;
    const entityAttributes = ENTITY_ATTRIBUTES.get(tag.name);
    if (entityAttributes !== undefined) {
      checkAttributes(tag.name, tag.attributes, entityAttributes);
      if (tag.name === "chime") chimes++;
      const part = entityPart(tag.name, tag.attributes);
      if (typeof part === "object" && "uid" in part) uids.add(part.uid);
      parts.push(part);
      stack.push({ name: tag.name, close: "", empty: true, verbatim: false });
      return;
    }
    parts.push(elementTag(tag.name, tag.attributes));
    const empty = VOID_TAGS.has(tag.name);
    stack.push({ name: tag.name, close: empty ? "" : `</${tag.name}>`, empty, verbatim: parent.verbatim || VERBATIM_TAGS.has(tag.name) });
  });
  parser.on("closetag", () => {
    flushText();
    parts.push(stack.pop()?.close ?? "");
  });
  parser.write(message).close();

  if (chimes === 0) return { parts, uids };
  if (chimes > 1 || otherRootContent) fail("A chime must be the only content of the message");
  // Whitespace around a lone chime is layout, not content.
  return { parts: parts.filter((part) => typeof part !== "string" || part.trim() !== ""), uids };
}

function render(parts: Part[], users: Map<number, string>): { presentationML: string; entities: Record<string, object> } {
  const out: string[] = [];
  const entities: Record<string, object> = {};
  let counter = 0;
  for (const part of parts) {
    const entity = typeof part === "object" && "uid" in part ? mentionEntity(part, users) : part;
    if (typeof entity === "string") {
      out.push(entity);
      continue;
    }
    const id = `${entity.prefix}${++counter}`;
    entities[id] = entity.data;
    out.push(`<span class="entity" data-entity-id="${id}">${escapeXml(entity.text)}</span>`);
  }
  return { presentationML: out.join(""), entities };
}

function mentionEntity({ uid, strict }: MentionPart, users: Map<number, string>): EntityPart | string {
  const displayName = users.get(uid);
  if (displayName !== undefined) {
    return { prefix: "mention", text: `@${displayName}`, data: { type: "com.symphony.user.mention", version: "1.0", id: [{ type: "com.symphony.user.userId", value: String(uid) }] } };
  }
  return strict ? fail(`Failed to lookup user "${uid}"`) : `@${uid}`;
}

/** resolveUsers is called at most once, with every mentioned uid, and only if there are mentions. */
export async function convertMessageML(
  message: string,
  data: string | undefined,
  resolveUsers: (ids: number[]) => Promise<MentionedUser[]>,
): Promise<ConversionResult> {
  if (message.trim() === "") fail("Message cannot be null or empty");
  if (message.length + (data?.length ?? 0) > MAX_INPUT_CHARS) fail("Message and data together exceed 1.5 MB");
  try {
    const client = entityObject(data ?? "");
    const { parts, uids } = parse(message);
    const users = new Map<number, string>();
    if (uids.size > 0) for (const user of await resolveUsers([...uids])) users.set(user.userId, user.displayName);
    const { presentationML, entities } = render(parts, users);
    // Spread (not Object.assign) so a client "__proto__" key stays an ordinary own property.
    // The output goes through the read check as well: the agent writes nothing it would withhold.
    return { presentationML: checkPresentationML(presentationML), entityJson: JSON.stringify({ ...client, ...entities }) };
  } catch (err) {
    if (err instanceof MarkupError) fail(err.message);
    throw err;
  }
}
