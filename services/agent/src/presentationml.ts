import { SaxesParser } from "saxes";
import { CHIME, CHIME_SRC, checkAttributes, elementTag, escapeXml, MarkupError, MAX_DEPTH, rootTag, VOID_TAGS, type MarkupRule } from "./markup-policy.js";

// The check of PresentationML against the allow-list the converter writes with. What passes is
// returned re-serialised from the parse (every attribute quoted and escaped, text escaped, only
// void elements self-closed), so a browser reading it as HTML sees the same tree as this check.

function fail(rule: MarkupRule, message: string): never {
  throw new MarkupError(rule, message);
}

interface Frame {
  close: string;
  empty: boolean;
}

/** The canonical form of allowed PresentationML; throws MarkupError for anything the converter would not write. */
export function checkPresentationML(presentationML: string): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  let chime = false;
  let otherContent = false;

  const parser = new SaxesParser({ xmlns: false });
  parser.on("error", (err) => fail("xml", `Invalid XML: ${err.message}`));
  parser.on("doctype", () => fail("xml", "DOCTYPE is not allowed"));
  parser.on("processinginstruction", () => fail("xml", "Processing instructions are not allowed"));
  // The converter writes neither; an HTML reader would treat them differently from XML.
  parser.on("comment", () => fail("xml", "Comments are not allowed"));
  parser.on("cdata", () => fail("xml", "CDATA sections are not allowed"));
  parser.on("text", (text) => {
    const frame = stack.at(-1);
    if (frame === undefined) return;
    if (frame.empty) fail("structure", "Void elements must be empty");
    if (stack.length === 1 && text.trim() !== "") otherContent = true;
    out.push(escapeXml(text));
  });
  parser.on("opentag", ({ name, attributes }) => {
    const parent = stack.at(-1);
    if (parent === undefined) {
      out.push(rootTag(name, attributes));
      stack.push({ close: "</div>", empty: false });
      return;
    }
    if (parent.empty) fail("structure", "Void elements must be empty");
    if (stack.length >= MAX_DEPTH) fail("structure", `PresentationML cannot be nested deeper than ${MAX_DEPTH} levels`);
    // The chime is the one element the converter writes that MessageML cannot name.
    if (name === "audio") {
      checkAttributes(name, attributes, ["src", "autoplay"]);
      if (stack.length !== 1 || chime || attributes.src !== CHIME_SRC || attributes.autoplay !== "true") fail("element", "audio is allowed only as the chime");
      chime = true;
      out.push(CHIME);
      stack.push({ close: "", empty: true });
      return;
    }
    if (stack.length === 1) otherContent = true;
    out.push(elementTag(name, attributes));
    const empty = VOID_TAGS.has(name);
    stack.push({ close: empty ? "" : `</${name}>`, empty });
  });
  parser.on("closetag", () => out.push(stack.pop()?.close ?? ""));
  parser.write(presentationML).close();

  // An HTML reader does not know <audio/> is empty: anything after it would become its content.
  if (chime && otherContent) fail("structure", "A chime must be the only content of the message");
  return out.join("");
}
