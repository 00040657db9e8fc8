import { styleProblem } from "./css-policy.js";

// The allow-list of PresentationML, shared by the MessageML converter (write) and the check of
// decrypted content (read), so the agent never returns markup it would refuse to write.

/** Which rule refused the markup: logged and counted on read, where the markup itself is not. */
export type MarkupRule = "xml" | "structure" | "element" | "attribute" | "url" | "style" | "entities";

export class MarkupError extends Error {
  constructor(
    readonly rule: MarkupRule,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_DEPTH = 64;
const MAX_ECHO_CHARS = 64;
export const CHIME_SRC = "https://asset.symphony.com/symphony/audio/chime.mp3";
export const CHIME = `<audio src="${CHIME_SRC}" autoplay="true"/>`;
const COMMON_ATTRIBUTES = ["class", "style", "data-entity-id"];
const TAG_ATTRIBUTES = new Map<string, string[]>(
  Object.entries({
    p: [], br: [], hr: [], b: [], i: [], u: [], strong: [], em: [], span: [], div: [], code: [], pre: [],
    ul: [], ol: [], li: [], table: [], thead: [], tbody: [], tfoot: [], tr: [],
    td: ["rowspan", "colspan"], th: ["rowspan", "colspan"], a: ["href"], img: ["src", "alt"],
    h1: [], h2: [], h3: [], h4: [], h5: [], h6: [], card: [], header: [], body: [],
  }).map(([tag, own]) => [tag, [...own, ...COMMON_ATTRIBUTES]]),
);
export const VOID_TAGS = new Set(["br", "hr", "img"]);
const URL_SCHEMES: Record<string, { attribute: string; schemes: string[] }> = {
  a: { attribute: "href", schemes: ["http", "https", "mailto"] },
  img: { attribute: "src", schemes: ["http", "https"] },
};
const SPAN_COUNT = /^[1-9]\d{0,2}$/;

export const clip = (s: string) => (s.length > MAX_ECHO_CHARS ? `${s.slice(0, MAX_ECHO_CHARS)}…` : s);

export const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Refuses any attribute not in `allowed`, and styles outside the CSS allow-list. */
export function checkAttributes(tag: string, attributes: Record<string, string>, allowed: string[]): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (!allowed.includes(name)) throw new MarkupError("attribute", `Attribute "${clip(name)}" is not allowed in "${tag}"`);
    const problem = name === "style" ? styleProblem(value) : undefined;
    if (problem) throw new MarkupError("style", `Invalid style in "${tag}": ${problem}`);
  }
}

export function required(tag: string, attributes: Record<string, string>, name: string): string {
  const value = attributes[name]?.trim();
  if (!value) throw new MarkupError("attribute", `"${tag}" requires the attribute "${name}"`);
  return value;
}

function checkScheme(tag: string, attribute: string, url: string, schemes: string[]): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) throw new MarkupError("url", `"${attribute}" in "${tag}" must be a ${schemes.join(", ")} URL`);
}

/** The PresentationML root `<div data-format="PresentationML" data-version="…">`, rendered. */
export function rootTag(name: string, attributes: Record<string, string>): string {
  if (name !== "div" || attributes["data-format"] !== "PresentationML") throw new MarkupError("structure", "Root tag must be <messageML> or <div>");
  checkAttributes(name, attributes, ["data-format", "data-version"]);
  const version = attributes["data-version"] ?? "";
  if (!/^\d+(\.\d+)*$/.test(version)) throw new MarkupError("attribute", 'The root <div> needs a numeric "data-version"');
  return `<div data-format="PresentationML" data-version="${version}">`;
}

/** An allowed element below the root, rendered with its (escaped) attributes. */
export function elementTag(name: string, attributes: Record<string, string>): string {
  const allowed = TAG_ATTRIBUTES.get(name);
  if (!allowed) throw new MarkupError("element", `Invalid MessageML content at element "${clip(name)}"`);
  checkAttributes(name, attributes, allowed);
  if (name === "img") required(name, attributes, "src");
  const url = URL_SCHEMES[name];
  const target = url && attributes[url.attribute];
  if (url && target !== undefined) checkScheme(name, url.attribute, target, url.schemes);
  for (const span of ["rowspan", "colspan"]) {
    const value = attributes[span];
    if (value !== undefined && !SPAN_COUNT.test(value)) throw new MarkupError("attribute", `"${span}" in "${name}" must be a number from 1 to 999`);
  }
  const rendered = Object.entries(attributes).map(([key, value]) => ` ${key}="${escapeXml(value)}"`).join("");
  return VOID_TAGS.has(name) ? `<${name}${rendered}/>` : `<${name}${rendered}>`;
}

/** Entity JSON: a JSON object, "" standing for none. */
export function entityObject(data: string): Record<string, unknown> {
  if (data.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new MarkupError("entities", "data must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new MarkupError("entities", "data must be a JSON object");
  return parsed as Record<string, unknown>;
}
