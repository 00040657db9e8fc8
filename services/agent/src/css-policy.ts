// The style attribute allow-list of PresentationML: text and box styling only. A small strict
// declaration parser rather than a general CSS parser: the accepted language has no escapes,
// comments, at-rules, blocks or functions other than colours, so there is nothing a browser could
// read differently from this check, and every value is matched token by token against its
// property's grammar. Anything else (position, z-index, url(), expression(), behavior,
// -moz-binding, viewport units, negative offsets) is refused.

type Token =
  | { kind: "ident"; value: string }
  | { kind: "number"; value: number; unit: string }
  | { kind: "hex"; value: string }
  | { kind: "colour-function" }
  | { kind: "string" }
  | { kind: "comma" };

type Grammar = (tokens: Token[]) => boolean;

// No backslash (escapes), "/" or "*" (comments), "@", braces, angle brackets or non-ASCII.
const ALLOWED_CHARACTERS = /^[A-Za-z0-9 \t\r\n#%.,:;()'"!_+-]*$/;
const DECLARATION = /^\s*([A-Za-z-]+)\s*:([\s\S]*)$/;
const IMPORTANT = /!\s*important\s*$/i;
const TOKEN =
  /\s+|(,)|("[A-Za-z0-9 _-]*"|'[A-Za-z0-9 _-]*')|#([A-Za-z0-9_-]+)|(rgba?|hsla?)\(([0-9.%\s,]*)\)|([+-]?(?:\d+(?:\.\d+)?|\.\d+))(%|[A-Za-z_-][A-Za-z0-9_-]*)?|(-?[A-Za-z_][A-Za-z0-9_-]*)/y;

function tokenize(value: string): Token[] | undefined {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < value.length) {
    const m = TOKEN.exec(value);
    if (!m) return undefined;
    const [, comma, string, hex, colourFunction, colourArgs, number, unit, ident] = m;
    if (comma) tokens.push({ kind: "comma" });
    else if (string) tokens.push({ kind: "string" });
    else if (hex) tokens.push({ kind: "hex", value: hex });
    else if (colourFunction) {
      if (!colourArguments(colourArgs ?? "")) return undefined;
      tokens.push({ kind: "colour-function" });
    } else if (number) tokens.push({ kind: "number", value: Number(number), unit: (unit ?? "").toLowerCase() });
    else if (ident) tokens.push({ kind: "ident", value: ident.toLowerCase() });
  }
  return tokens;
}

function colourArguments(args: string): boolean {
  const parts = args.split(/[\s,]+/).filter(Boolean);
  return (parts.length === 3 || parts.length === 4) && parts.every((p) => /^(\d+(\.\d+)?|\.\d+)%?$/.test(p));
}

const keyword =
  (...words: string[]) =>
  (t: Token) =>
    t.kind === "ident" && words.includes(t.value);

// Pixels per unit: lengths are bounded in pixels whatever unit they are written in.
const PIXELS: Record<string, number> = { px: 1, em: 16, rem: 16, pt: 4 / 3 };

/** A non-negative length of at most maxPx (and, when allowed, a percentage of at most maxPercent). */
const length =
  (maxPx: number, maxPercent = 0) =>
  (t: Token) => {
    if (t.kind !== "number" || t.value < 0) return false;
    if (t.unit === "") return t.value === 0;
    if (t.unit === "%") return t.value <= maxPercent;
    const perUnit = PIXELS[t.unit];
    return perUnit !== undefined && t.value * perUnit <= maxPx;
  };

const colour = (t: Token) =>
  t.kind === "colour-function" ||
  (t.kind === "hex" && /^([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(t.value)) ||
  (t.kind === "ident" && /^[a-z]+$/.test(t.value));

const number = (max: number) => (t: Token) => t.kind === "number" && t.unit === "" && t.value >= 0 && t.value <= max;

const either =
  (...tests: ((t: Token) => boolean)[]) =>
  (t: Token) =>
    tests.some((test) => test(t));

/** Between min and max tokens, each passing the test (e.g. margin's one to four lengths). */
const sequence =
  (test: (t: Token) => boolean, min = 1, max = 1): Grammar =>
  (tokens) =>
    tokens.length >= min && tokens.length <= max && tokens.every(test);

/** Up to one token of each kind, in any order: the border and text-decoration shorthands. */
const shorthand =
  (...parts: ((t: Token) => boolean)[]): Grammar =>
  (tokens) => {
    const used = new Set<number>();
    return (
      tokens.length > 0 &&
      tokens.every((t) => {
        const index = parts.findIndex((test, i) => !used.has(i) && test(t));
        used.add(index);
        return index >= 0;
      })
    );
  };

const fontFamily: Grammar = (tokens) => {
  const names: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === "comma") names.push([]);
    else names.at(-1)?.push(t);
  }
  return names.every((n) => (n.length === 1 && n[0]?.kind === "string") || (n.length > 0 && n.every((t) => t.kind === "ident")));
};

const borderWidth = either(length(20), keyword("thin", "medium", "thick"));
const borderStyle = keyword("none", "hidden", "solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset");
const border = shorthand(borderWidth, borderStyle, colour);
const spacing = (auto: boolean) => sequence(either(length(100, 100), keyword(...(auto ? ["auto"] : []))), 1, 4);
const size = (none: string) => sequence(either(length(1200, 100), keyword("auto", none)));
const decorationLine = keyword("none", "underline", "overline", "line-through");
const decorationStyle = keyword("solid", "double", "dotted", "dashed", "wavy");

const SIDES = ["top", "right", "bottom", "left"];
const perSide = (name: (side: string) => string, grammar: Grammar) => SIDES.map((side) => [name(side), grammar] as const);

const PROPERTIES = new Map<string, Grammar>([
  ["color", sequence(colour)],
  ["background-color", sequence(colour)],
  ["opacity", sequence(number(1))],
  ["font-family", fontFamily],
  ["font-size", sequence(either(length(96, 400), keyword("xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "smaller", "larger")))],
  ["font-weight", sequence(either(keyword("normal", "bold", "bolder", "lighter"), (t) => t.kind === "number" && t.unit === "" && [100, 200, 300, 400, 500, 600, 700, 800, 900].includes(t.value)))],
  ["font-style", sequence(keyword("normal", "italic", "oblique"))],
  ["font-variant", sequence(keyword("normal", "small-caps"))],
  ["line-height", sequence(either(keyword("normal"), number(10), length(200, 1000)))],
  ["letter-spacing", sequence(either(keyword("normal"), length(50)))],
  ["word-spacing", sequence(either(keyword("normal"), length(50)))],
  ["text-align", sequence(keyword("left", "right", "center", "justify", "start", "end"))],
  ["text-decoration", shorthand(decorationLine, decorationLine, decorationLine, decorationStyle, colour)],
  ["text-decoration-line", shorthand(decorationLine, decorationLine, decorationLine)],
  ["text-decoration-style", sequence(decorationStyle)],
  ["text-decoration-color", sequence(colour)],
  ["text-transform", sequence(keyword("none", "capitalize", "uppercase", "lowercase"))],
  ["text-indent", sequence(length(200, 100))],
  ["text-overflow", sequence(keyword("clip", "ellipsis"))],
  ["white-space", sequence(keyword("normal", "nowrap", "pre", "pre-wrap", "pre-line", "break-spaces"))],
  ["word-break", sequence(keyword("normal", "break-all", "keep-all", "break-word"))],
  ["overflow-wrap", sequence(keyword("normal", "break-word", "anywhere"))],
  ["word-wrap", sequence(keyword("normal", "break-word", "anywhere"))],
  ["vertical-align", sequence(keyword("baseline", "sub", "super", "top", "text-top", "middle", "bottom", "text-bottom"))],
  ["margin", spacing(true)],
  ...perSide((s) => `margin-${s}`, sequence(either(length(100, 100), keyword("auto")))),
  ["padding", spacing(false)],
  ...perSide((s) => `padding-${s}`, sequence(length(100, 100))),
  ["border", border],
  ...perSide((s) => `border-${s}`, border),
  ["border-width", sequence(borderWidth, 1, 4)],
  ["border-style", sequence(borderStyle, 1, 4)],
  ["border-color", sequence(colour, 1, 4)],
  ...perSide((s) => `border-${s}-width`, sequence(borderWidth)),
  ...perSide((s) => `border-${s}-style`, sequence(borderStyle)),
  ...perSide((s) => `border-${s}-color`, sequence(colour)),
  ["border-radius", sequence(length(100, 50), 1, 4)],
  ["border-collapse", sequence(keyword("collapse", "separate"))],
  ["border-spacing", sequence(length(20), 1, 2)],
  ["width", size("auto")],
  ["min-width", size("auto")],
  ["max-width", size("none")],
  ["height", size("auto")],
  ["min-height", size("auto")],
  ["max-height", size("none")],
  ["box-sizing", sequence(keyword("content-box", "border-box"))],
  ["display", sequence(keyword("inline", "block", "inline-block", "list-item", "none", "flex", "inline-flex", "table", "table-row", "table-cell", "table-row-group", "table-header-group", "table-footer-group"))],
  ["overflow", sequence(keyword("visible", "hidden", "clip", "scroll", "auto"), 1, 2)],
  ["overflow-x", sequence(keyword("visible", "hidden", "clip", "scroll", "auto"))],
  ["overflow-y", sequence(keyword("visible", "hidden", "clip", "scroll", "auto"))],
  ["table-layout", sequence(keyword("auto", "fixed"))],
  ["list-style-type", sequence(keyword("none", "disc", "circle", "square", "decimal", "lower-alpha", "upper-alpha", "lower-latin", "upper-latin", "lower-roman", "upper-roman"))],
  ["list-style-position", sequence(keyword("inside", "outside"))],
]);

const GLOBAL = keyword("inherit", "initial", "unset");

/** Why a style attribute is refused, or undefined when every declaration is allowed. */
export function styleProblem(style: string): string | undefined {
  if (!ALLOWED_CHARACTERS.test(style)) return "it contains characters styles may not use";
  for (const declaration of style.split(";")) {
    if (declaration.trim() === "") continue;
    const [, rawProperty = "", rawValue = ""] = DECLARATION.exec(declaration) ?? [];
    const property = rawProperty.toLowerCase();
    const grammar = PROPERTIES.get(property);
    if (!grammar) return rawProperty ? `property "${property.slice(0, 32)}" is not allowed` : "it is not a list of declarations";
    const tokens = tokenize(rawValue.replace(IMPORTANT, ""));
    const valid = tokens !== undefined && ((tokens.length === 1 && GLOBAL(tokens[0] as Token)) || grammar(tokens));
    if (!valid) return `the value of "${property}" is not allowed`;
  }
  return undefined;
}
