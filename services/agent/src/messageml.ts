import { SaxesParser } from "saxes";

// MessageML → PresentationML, following finos/messageml-utils: strict XML (no DTD, so no XXE
// or entity bombs), allow-listed tags and attributes, entities numbered in document order.
// Freemarker templates are not expanded: `${…}` stays literal text.

export interface MentionedUser {
  userId: number;
  displayName: string;
}

export interface ConversionResult {
  presentationML: string;
  /** Serialised EntityJSON object. */
  entityJson: string;
}

/** Invalid input; the message is shown to API clients. */
export class MessageMLError extends Error {}

const MAX_TOTAL = 1_500_000;
const MAX_DEPTH = 64;
const COMMON_ATTRIBUTES = ["class", "style", "data-entity-id"];
const TAGS: Record<string, string[]> = {
  p: [], br: [], hr: [], b: [], i: [], u: [], strong: [], em: [], span: [], div: [], code: [], pre: [],
  ul: [], ol: [], li: [], table: [], thead: [], tbody: [], tfoot: [], tr: [],
  td: ["rowspan", "colspan"], th: ["rowspan", "colspan"],
  a: ["href"], img: ["src", "alt"],
  h1: [], h2: [], h3: [], h4: [], h5: [], h6: [],
  card: ["iconSrc", "accent"], header: [], body: [],
};
const VOID = new Set(["br", "hr", "img"]);
const VERBATIM = new Set(["code", "pre", "textarea"]);
const ENTITY_TAGS: Record<string, string[]> = { mention: ["uid", "email", "strict"], hash: ["tag"], cash: ["tag"], emoji: ["shortcode"], chime: [] };
const CHIME = '<audio src="https://asset.symphony.com/symphony/audio/chime.mp3" autoplay="true"/>';

interface ElementNode {
  name: string;
  attributes: Record<string, string>;
  children: Node[];
}
type Node = ElementNode | string;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function fail(message: string): never {
  throw new MessageMLError(message);
}

function parse(message: string): ElementNode {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const root: ElementNode = { name: "#document", attributes: {}, children: [] };
  const stack: ElementNode[] = [root];
  parser.on("doctype", () => fail("DOCTYPE is not allowed in MessageML"));
  parser.on("processinginstruction", () => fail("Processing instructions are not allowed in MessageML"));
  parser.on("error", (err) => fail(`Invalid MessageML: ${err.message.split("\n")[0]?.slice(0, 200) ?? "malformed XML"}`));
  parser.on("opentag", (tag) => {
    if (stack.length > MAX_DEPTH) fail(`MessageML is nested deeper than ${MAX_DEPTH} levels`);
    const node: ElementNode = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [] };
    stack.at(-1)!.children.push(node);
    stack.push(node);
  });
  parser.on("closetag", () => void stack.pop());
  const text = (t: string) => void stack.at(-1)!.children.push(t);
  parser.on("text", text);
  parser.on("cdata", text);
  parser.write(message).close();
  const elements = root.children.filter((c): c is ElementNode => typeof c !== "string");
  if (elements.length !== 1) fail("Invalid MessageML: expected a single root element");
  return elements[0]!;
}

function checkUrl(value: string, schemes: string[], where: string): void {
  const scheme = /^\s*([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (!scheme || !schemes.includes(scheme)) fail(`The URL in "${where}" must use ${schemes.join(", ")}`);
}

function checkAttributes(node: ElementNode, allowed: string[]): void {
  for (const [name, value] of Object.entries(node.attributes)) {
    if (!allowed.includes(name) && !COMMON_ATTRIBUTES.includes(name)) fail(`Attribute "${name}" is not allowed in "${node.name}"`);
    if (name === "style" && /url\s*\(|expression\s*\(|javascript:|@import/i.test(value)) fail(`Invalid style in "${node.name}"`);
  }
  if (node.name === "a" && node.attributes.href !== undefined) checkUrl(node.attributes.href, ["http", "https", "mailto"], "a");
  if (node.name === "img") checkUrl(node.attributes.src ?? "", ["http", "https"], "img");
}

function collectMentions(node: ElementNode, uids: Set<number>): void {
  for (const child of node.children) {
    if (typeof child === "string") continue;
    if (child.name === "mention") {
      if (child.attributes.email !== undefined) fail("mention by email is not supported");
      const uid = Number(child.attributes.uid);
      if (!/^\d{1,16}$/.test(child.attributes.uid ?? "") || !Number.isSafeInteger(uid) || uid <= 0) fail('mention requires a numeric "uid"');
      uids.add(uid);
    }
    collectMentions(child, uids);
  }
}

class Renderer {
  private readonly out: string[] = [];
  private counter = 0;
  readonly entities: Record<string, unknown> = {};

  constructor(private readonly users: Map<number, string>) {}

  render(root: ElementNode): string {
    if (root.name === "messageML") {
      checkAttributes(root, []);
      this.out.push('<div data-format="PresentationML" data-version="2.0">');
    } else if (root.name === "div" && root.attributes["data-format"] === "PresentationML") {
      const version = root.attributes["data-version"] ?? "2.0";
      if (!/^\d+\.\d+$/.test(version)) fail("Invalid data-version");
      this.out.push(`<div data-format="PresentationML" data-version="${version}">`);
    } else {
      fail("Root tag must be <messageML> or <div>");
    }
    const chimes = root.children.filter((c) => typeof c !== "string" && c.name === "chime").length;
    if (chimes > 0 && root.children.some((c) => (typeof c === "string" ? c.trim() !== "" : c.name !== "chime") || chimes > 1)) {
      fail("A chime must be the only content of the message");
    }
    this.children(root, false);
    this.out.push("</div>");
    return this.out.join("");
  }

  private children(node: ElementNode, verbatim: boolean): void {
    for (const child of node.children) {
      if (typeof child === "string") this.out.push(escape(verbatim ? child : child.replace(/(\r?\n)+/g, " ")));
      else this.element(child, verbatim);
    }
  }

  private entity(prefix: string, text: string, json: unknown): void {
    const id = `${prefix}${++this.counter}`;
    this.entities[id] = json;
    this.out.push(`<span class="entity" data-entity-id="${id}">${escape(text)}</span>`);
  }

  private element(node: ElementNode, verbatim: boolean): void {
    const entityAttributes = ENTITY_TAGS[node.name];
    if (entityAttributes) {
      for (const name of Object.keys(node.attributes)) if (!entityAttributes.includes(name)) fail(`Attribute "${name}" is not allowed in "${node.name}"`);
      if (node.children.some((c) => typeof c !== "string" || c.trim() !== "")) fail(`"${node.name}" must be empty`);
      return this.entityElement(node);
    }
    const allowed = TAGS[node.name];
    if (!allowed) fail(`Invalid MessageML content at element "${node.name.slice(0, 64)}"`);
    checkAttributes(node, allowed);
    const attrs = Object.entries(node.attributes).map(([k, v]) => ` ${k}="${escape(v)}"`).join("");
    if (VOID.has(node.name)) {
      if (node.children.length > 0) fail(`"${node.name}" must be empty`);
      this.out.push(`<${node.name}${attrs}/>`);
      return;
    }
    this.out.push(`<${node.name}${attrs}>`);
    this.children(node, verbatim || VERBATIM.has(node.name));
    this.out.push(`</${node.name}>`);
  }

  private entityElement(node: ElementNode): void {
    const a = node.attributes;
    const required = (name: string) => (a[name]?.trim() ? a[name]!.trim() : fail(`"${node.name}" requires the attribute "${name}"`));
    switch (node.name) {
      case "mention": {
        const uid = Number(a.uid);
        const name = this.users.get(uid);
        if (name === undefined) {
          if (a.strict === "false") return void this.out.push(escape(`@${uid}`));
          fail(`Failed to lookup user "${uid}"`);
        }
        return this.entity("mention", `@${name}`, {
          type: "com.symphony.user.mention",
          version: "1.0",
          id: [{ type: "com.symphony.user.userId", value: String(uid) }],
        });
      }
      case "hash": {
        const tag = required("tag");
        return this.entity("keyword", `#${tag}`, { type: "org.symphonyoss.taxonomy", version: "1.0", id: [{ type: "org.symphonyoss.taxonomy.hashtag", value: tag }] });
      }
      case "cash": {
        const tag = required("tag");
        return this.entity("keyword", `$${tag}`, { type: "org.symphonyoss.fin.security", version: "1.0", id: [{ type: "org.symphonyoss.fin.security.id.ticker", value: tag }] });
      }
      case "emoji": {
        const shortcode = required("shortcode");
        if (!/^[\w+-]{1,64}$/.test(shortcode)) fail("Invalid emoji shortcode");
        return this.entity("emoji", `:${shortcode}:`, { type: "com.symphony.emoji", version: "1.0", data: { annotation: shortcode } });
      }
      default:
        this.out.push(CHIME);
    }
  }
}

function clientEntities(data: string | undefined): Record<string, unknown> {
  if (data === undefined || data.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    fail("data must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) fail("data must be a JSON object");
  return parsed as Record<string, unknown>;
}

export async function convertMessageML(
  message: string,
  data: string | undefined,
  resolveUsers: (ids: number[]) => Promise<MentionedUser[]>,
): Promise<ConversionResult> {
  if (typeof message !== "string" || message.trim() === "") fail("The message cannot be null or empty");
  if (message.length + (data?.length ?? 0) > MAX_TOTAL) fail("The message and its data exceed the 1.5 MB limit");
  const entities = clientEntities(data);
  const root = parse(message);
  const uids = new Set<number>();
  collectMentions(root, uids);
  const users = new Map<number, string>();
  if (uids.size > 0) for (const u of await resolveUsers([...uids])) users.set(u.userId, u.displayName);
  const renderer = new Renderer(users);
  const presentationML = renderer.render(root);
  return { presentationML, entityJson: JSON.stringify({ ...entities, ...renderer.entities }) };
}
