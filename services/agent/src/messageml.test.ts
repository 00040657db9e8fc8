import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import { convertMessageML, MessageMLError, type MentionedUser } from "./messageml.js";

const DIV = '<div data-format="PresentationML" data-version="2.0">';
const BOT = 7078106482890;
const ALICE = 349026222344891;
const directory: MentionedUser[] = [
  { userId: BOT, displayName: "Bot User01" },
  { userId: ALICE, displayName: "Alice <Ops> & \"Co\"" },
];

function converter() {
  const lookups: number[][] = [];
  const resolve = async (ids: number[]) => {
    lookups.push(ids);
    return directory.filter((u) => ids.includes(u.userId));
  };
  return { lookups, convert: (message: string, data?: string) => convertMessageML(message, data, resolve) };
}

const convert = (message: string, data?: string) => converter().convert(message, data);
const pml = async (message: string) => (await convert(message)).presentationML;
const ml = (body: string) => `<messageML>${body}</messageML>`;

async function failure(message: string, data?: string): Promise<MessageMLError> {
  const err = await convert(message, data).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${message.slice(0, 120)} to be rejected`).toBeInstanceOf(MessageMLError);
  return err as MessageMLError;
}

function reparse(xml: string): void {
  const parser = new SaxesParser();
  parser.on("error", (err) => {
    throw err;
  });
  parser.write(xml).close();
}

describe("input limits", () => {
  it("rejects empty and whitespace-only messages", async () => {
    expect((await failure("")).message).toBe("Message cannot be null or empty");
    expect((await failure(" \n\t ")).message).toBe("Message cannot be null or empty");
  });

  it("rejects more than 1.5 MB of message and data together", async () => {
    const err = await failure(ml("x".repeat(1_500_000)));
    expect(err.message.length).toBeLessThan(100);
    await failure(ml("x"), JSON.stringify({ pad: "y".repeat(1_499_990) }));
    const body = "x ".repeat(699_990);
    expect(await pml(ml(body))).toBe(`${DIV}${body}</div>`);
  });
});

describe("XML parsing", () => {
  it("rejects external entities (XXE)", async () => {
    const err = await failure('<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><messageML>&xxe;</messageML>');
    expect(err.message).toBe("DOCTYPE is not allowed in MessageML");
  });

  it("rejects entity expansion bombs (billion laughs)", async () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`);
    const err = await failure(`<!DOCTYPE lolz [<!ENTITY lol "lol">${levels.join("")}]><messageML>&lol9;</messageML>`);
    expect(err.message).toBe("DOCTYPE is not allowed in MessageML");
  });

  it("accepts only the predefined entities and character references", async () => {
    expect(await pml(ml("&amp;&lt;&gt;&quot;&apos;&#65;&#x42;"))).toBe(`${DIV}&amp;&lt;&gt;&quot;'AB</div>`);
    for (const entity of ["&nbsp;", "&constructor;", "&__proto__;"]) await failure(ml(entity));
  });

  it("rejects processing instructions but allows the XML declaration", async () => {
    expect((await failure('<?xml-stylesheet href="x.xsl"?><messageML>x</messageML>')).message).toBe("Processing instructions are not allowed in MessageML");
    await failure(ml('<?php echo 1 ?>'));
    expect(await pml('<?xml version="1.0" encoding="UTF-8"?><messageML>x</messageML>')).toBe(`${DIV}x</div>`);
  });

  it("rejects malformed XML with a short message", async () => {
    for (const bad of ["<messageML>unclosed", "<messageML><b>x</i></messageML>", "plain text", "<messageML>a</messageML><messageML>b</messageML>", '<messageML><b a="1" a="2"/></messageML>']) {
      const err = await failure(bad);
      expect(err.message).toMatch(/^Invalid XML: /);
      expect(err.message).not.toContain("\n");
    }
    const err = await failure(`<messageML><${"a".repeat(100_000)}>`);
    expect(err.message.length).toBeLessThan(200);
  });
});

describe("root element", () => {
  it("turns <messageML> into the PresentationML root", async () => {
    expect(await pml("<messageML>Hello World!</messageML>")).toBe(`${DIV}Hello World!</div>`);
    expect(await pml("<messageML>Leseübungen</messageML>")).toBe(`${DIV}Leseübungen</div>`);
    expect(await pml("<messageML/>")).toBe(`${DIV}</div>`);
    expect(await pml("\n<messageML>x</messageML>\n \n")).toBe(`${DIV}x</div>`);
  });

  it("keeps an already-PresentationML root with its data-version", async () => {
    expect(await pml(`${DIV}<b>x</b></div>`)).toBe(`${DIV}<b>x</b></div>`);
    expect(await pml('<div data-version="1.0" data-format="PresentationML">x</div>')).toBe('<div data-format="PresentationML" data-version="1.0">x</div>');
    await failure('<div data-format="PresentationML" data-version="2&quot;>">x</div>');
    await failure('<div data-format="PresentationML">x</div>');
    expect((await failure('<div data-format="PresentationML" data-version="2.0" onclick="x">y</div>')).message).toBe('Attribute "onclick" is not allowed in "div"');
  });

  it("rejects any other root", async () => {
    for (const root of ["<p>x</p>", "<html>x</html>", "<div>x</div>", '<div data-format="Other" data-version="2.0">x</div>', "<messageml>x</messageml>"]) {
      expect((await failure(root)).message).toBe("Root tag must be <messageML> or <div>");
    }
    expect((await failure('<messageML onload="x">y</messageML>')).message).toBe('Attribute "onload" is not allowed in "messageML"');
  });
});

describe("text", () => {
  it("collapses newline runs into one space without adding layout", async () => {
    expect(await pml("<messageML>a\n\nb <b>c</b></messageML>")).toBe(`${DIV}a b <b>c</b></div>`);
    expect(await pml(ml("a\r\nb\r\n\r\nc"))).toBe(`${DIV}a b c</div>`);
    expect(await pml(ml("a\n<![CDATA[\nb]]>"))).toBe(`${DIV}a b</div>`);
    expect(await pml("<messageML>\n  <p>x</p>\n</messageML>")).toBe(`${DIV}   <p>x</p> </div>`);
  });

  it("keeps text verbatim inside code and pre, including nested elements", async () => {
    expect(await pml(ml("<code>x\n  y</code><pre>1\n\n<b>2\n3</b></pre>"))).toBe(`${DIV}<code>x\n  y</code><pre>1\n\n<b>2\n3</b></pre></div>`);
  });

  it("escapes text so the output is well-formed XML", async () => {
    expect(await pml("<messageML>1 &lt; 2</messageML>")).toBe(`${DIV}1 &lt; 2</div>`);
    const out = await pml(ml('&#60;script&#62;alert("x")&lt;/script&gt; <![CDATA[<b>&]]>'));
    expect(out).toBe(`${DIV}&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;&amp;</div>`);
    reparse(out);
  });

  it("leaves Freemarker syntax as literal text", async () => {
    const injection = '${"freemarker.template.utility.Execute"?new()("id")}';
    expect(await pml(ml(injection))).toBe(`${DIV}${injection.replace(/"/g, "&quot;")}</div>`);
    expect(await pml(ml("&lt;#assign x=1>"))).toBe(`${DIV}&lt;#assign x=1&gt;</div>`);
  });
});

describe("elements and attributes", () => {
  const containers = ["p", "b", "i", "u", "strong", "em", "span", "div", "code", "pre", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "a", "h1", "h2", "h3", "h4", "h5", "h6", "card", "header", "body"];

  it("passes allowed tags through with class, style and data-entity-id", async () => {
    for (const tag of containers) {
      const html = `<${tag} class="c" style="color:red" data-entity-id="e1">x</${tag}>`;
      expect(await pml(ml(html))).toBe(`${DIV}${html}</div>`);
    }
    const table = '<table><thead><tr><th rowspan="2">h</th></tr></thead><tbody><tr><td colspan="2">c</td></tr></tbody><tfoot/></table>';
    expect(await pml(ml(table))).toBe(`${DIV}${table.replace("<tfoot/>", "<tfoot></tfoot>")}</div>`);
    const card = '<card class="barStyle"><header>h</header><body>b</body></card>';
    expect(await pml(ml(card))).toBe(`${DIV}${card}</div>`);
  });

  it("self-closes void elements and refuses content in them", async () => {
    expect(await pml(ml('<br/><hr></hr><img src="https://x.io/a.png" alt="A" class="c"/>'))).toBe(`${DIV}<br/><hr/><img src="https://x.io/a.png" alt="A" class="c"/></div>`);
    expect((await failure(ml("<br>x</br>"))).message).toBe('"br" must be empty');
    await failure(ml("<hr><b/></hr>"));
  });

  it("escapes attribute values", async () => {
    const out = await pml(ml('<a href="https://x.io/?a=1&amp;b=&quot;2&quot;&lt;&gt;" class="it&apos;s">l</a>'));
    expect(out).toBe(`${DIV}<a href="https://x.io/?a=1&amp;b=&quot;2&quot;&lt;&gt;" class="it's">l</a></div>`);
    reparse(out);
  });

  it("rejects unknown elements", async () => {
    expect((await failure(ml("<script>alert(1)</script>"))).message).toBe('Invalid MessageML content at element "script"');
    for (const tag of ["iframe", "textarea", "audio", "messageML", "constructor", "__proto__", "svg"]) {
      expect((await failure(ml(`<${tag}/>`))).message).toBe(`Invalid MessageML content at element "${tag}"`);
    }
    expect((await failure(ml(`<${"x".repeat(10_000)}/>`))).message.length).toBeLessThan(120);
  });

  it("rejects unknown attributes, including event handlers", async () => {
    expect((await failure(ml('<img src="https://x.io" onerror="alert(1)"/>'))).message).toBe('Attribute "onerror" is not allowed in "img"');
    expect((await failure(ml('<b onclick="x">y</b>'))).message).toBe('Attribute "onclick" is not allowed in "b"');
    expect((await failure(ml('<p href="https://x.io">y</p>'))).message).toBe('Attribute "href" is not allowed in "p"');
    expect((await failure(ml('<td constructor="1">y</td>'))).message).toBe('Attribute "constructor" is not allowed in "td"');
  });

  it("allows only http, https and mailto links", async () => {
    for (const href of ["https://x.io", "http://x.io", " HTTPS://x.io ", "mailto:a@b.io", "MailTo:a@b.io"]) {
      expect(await pml(ml(`<a href="${href}">x</a>`))).toBe(`${DIV}<a href="${href}">x</a></div>`);
    }
    for (const href of ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java&#9;script:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "relative/path", "//x.io", ""]) {
      await failure(ml(`<a href="${href}">x</a>`));
    }
  });

  it("allows only http and https images, and requires src", async () => {
    expect(await pml(ml('<img src=" Https://x.io/a.png"/>'))).toBe(`${DIV}<img src=" Https://x.io/a.png"/></div>`);
    for (const src of ["mailto:a@b.io", "data:image/png;base64,AAAA", "javascript:alert(1)"]) await failure(ml(`<img src="${src}"/>`));
    expect((await failure(ml("<img/>"))).message).toBe('"img" requires the attribute "src"');
  });

  it("rejects dangerous styles", async () => {
    for (const style of ["background:URL(https://x.io)", "width:expression(alert(1))", "x:JavaScript:y", "@import 'x'", "background:u\\72l(x)"]) {
      expect((await failure(ml(`<span style="${style}">x</span>`))).message).toMatch(/^Invalid style in "span": /);
    }
    const overlay = "position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:9999";
    expect((await failure(ml(`<div style="${overlay}">x</div>`))).message).toBe('Invalid style in "div": property "position" is not allowed');
  });

  it("bounds nesting depth at 64 levels", async () => {
    const nested = (levels: number) => ml(`${"<span>".repeat(levels - 1)}x${"</span>".repeat(levels - 1)}`);
    expect(await pml(nested(64))).toBe(`${DIV}${"<span>".repeat(63)}x${"</span>".repeat(63)}</div>`);
    expect((await failure(nested(65))).message).toBe("MessageML cannot be nested deeper than 64 levels");
    await failure(ml("<b>".repeat(500_000)));
  });
});

describe("entities", () => {
  it("numbers mentions, hashtags, cashtags and emojis in document order with one counter", async () => {
    const { convert, lookups } = converter();
    const res = await convert(ml(`hi <mention uid="${BOT}"/> <hash tag="fx"/> <b><cash tag="AAPL"/></b> <emoji shortcode="smile"/>`));
    expect(res.presentationML).toBe(
      `${DIV}hi <span class="entity" data-entity-id="mention1">@Bot User01</span> <span class="entity" data-entity-id="keyword2">#fx</span> <b><span class="entity" data-entity-id="keyword3">$AAPL</span></b> <span class="entity" data-entity-id="emoji4">:smile:</span></div>`,
    );
    expect(JSON.parse(res.entityJson)).toEqual({
      mention1: { type: "com.symphony.user.mention", version: "1.0", id: [{ type: "com.symphony.user.userId", value: String(BOT) }] },
      keyword2: { type: "org.symphonyoss.taxonomy", version: "1.0", id: [{ type: "org.symphonyoss.taxonomy.hashtag", value: "fx" }] },
      keyword3: { type: "org.symphonyoss.fin.security", version: "1.0", id: [{ type: "org.symphonyoss.fin.security.id.ticker", value: "AAPL" }] },
      emoji4: { type: "com.symphony.emoji", version: "1.0", data: { annotation: "smile" } },
    });
    expect(lookups).toEqual([[BOT]]);
  });

  it("escapes display names and tags", async () => {
    const { presentationML } = await convert(ml(`<mention uid="${ALICE}"/><hash tag="a&lt;b"/>`));
    expect(presentationML).toBe(`${DIV}<span class="entity" data-entity-id="mention1">@Alice &lt;Ops&gt; &amp; &quot;Co&quot;</span><span class="entity" data-entity-id="keyword2">#a&lt;b</span></div>`);
    reparse(presentationML);
  });

  it("looks users up once with all uids, and never without mentions", async () => {
    const { convert, lookups } = converter();
    await convert(ml("<hash tag='x'/> no mentions"));
    expect(lookups).toEqual([]);
    const res = await convert(ml(`<mention uid="${BOT}"/><mention uid="${ALICE}"/><mention uid="${BOT}"/>`));
    expect(lookups).toEqual([[BOT, ALICE]]);
    expect(Object.keys(JSON.parse(res.entityJson))).toEqual(["mention1", "mention2", "mention3"]);
  });

  it("refuses unknown users unless strict is false, which leaves plain text", async () => {
    expect((await failure(ml('<mention uid="123"/>'))).message).toBe('Failed to lookup user "123"');
    expect((await failure(ml('<mention uid="123" strict="true"/>'))).message).toBe('Failed to lookup user "123"');
    const res = await convert(ml(`<mention uid="123" strict="false"/> <mention uid="${BOT}" strict="false"/>`));
    expect(res.presentationML).toBe(`${DIV}@123 <span class="entity" data-entity-id="mention1">@Bot User01</span></div>`);
    expect(Object.keys(JSON.parse(res.entityJson))).toEqual(["mention1"]);
  });

  it("rejects malformed mentions", async () => {
    expect((await failure(ml('<mention email="a@b.io"/>'))).message).toBe("mention by email is not supported");
    expect((await failure(ml("<mention/>"))).message).toBe('"mention" requires the attribute "uid"');
    for (const uid of ["abc", "-1", "0", "1.5", "1e3", "99999999999999999999"]) {
      expect((await failure(ml(`<mention uid="${uid}"/>`))).message).toBe('"uid" in "mention" must be a positive integer');
    }
    await failure(ml(`<mention uid="${BOT}" strict="no"/>`));
  });

  it("requires entity tags to be empty and to carry their attributes", async () => {
    for (const tag of [`<mention uid="${BOT}">x</mention>`, '<hash tag="x"> </hash>', '<cash tag="x"><b/></cash>', '<emoji shortcode="smile">:)</emoji>']) {
      expect((await failure(ml(tag))).message).toMatch(/^"\w+" must be empty$/);
    }
    expect((await failure(ml("<hash/>"))).message).toBe('"hash" requires the attribute "tag"');
    expect((await failure(ml('<cash tag=" "/>'))).message).toBe('"cash" requires the attribute "tag"');
    expect((await failure(ml("<emoji/>"))).message).toBe('"emoji" requires the attribute "shortcode"');
    expect((await failure(ml('<hash tag="x" class="y"/>'))).message).toBe('Attribute "class" is not allowed in "hash"');
  });

  it("renders a chime only as the sole content of the message", async () => {
    const chime = '<audio src="https://asset.symphony.com/symphony/audio/chime.mp3" autoplay="true"/>';
    const res = await convert(ml("<chime/>"));
    expect(res).toEqual({ presentationML: `${DIV}${chime}</div>`, entityJson: "{}" });
    expect(await pml(ml("\n  <chime/>\n"))).toBe(`${DIV}${chime}</div>`);
    for (const body of ["hello <chime/>", "<chime/><b/>", "<chime/><chime/>", "<p><chime/></p>", '<chime/><hash tag="x"/>']) {
      expect((await failure(ml(body))).message).toBe("A chime must be the only content of the message");
    }
    await failure(ml('<chime loud="yes"/>'));
  });
});

describe("client EntityJSON", () => {
  it("merges client data with generated entities, generated ids winning", async () => {
    const res = await convert(ml('<hash tag="x"/>'), JSON.stringify({ custom: { a: 1 }, keyword1: "mine" }));
    expect(JSON.parse(res.entityJson)).toEqual({ custom: { a: 1 }, keyword1: expect.objectContaining({ type: "org.symphonyoss.taxonomy" }) });
  });

  it("keeps a client __proto__ key as plain data", async () => {
    const proto = await convert(ml("x"), '{"__proto__":{"polluted":true}}');
    expect(proto.entityJson).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("is {} without entities or data", async () => {
    expect((await convert(ml("x"))).entityJson).toBe("{}");
    expect((await convert(ml("x"), "")).entityJson).toBe("{}");
    expect((await convert(ml("x"), '{"a":1}')).entityJson).toBe('{"a":1}');
  });

  it("must be a JSON object", async () => {
    for (const bad of ["[1]", "not json", '"str"', "null", "42", "{"]) {
      expect((await failure(ml("x"), bad)).message).toBe("data must be a JSON object");
    }
  });
});
