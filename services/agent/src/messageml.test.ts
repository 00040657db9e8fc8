import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import { convertMessageML, MessageMLError, type MentionedUser } from "./messageml.js";

const DIV = '<div data-format="PresentationML" data-version="2.0">';
const users: MentionedUser[] = [{ userId: 7078106482890, displayName: "Bot User01" }];
let lookups: number[][] = [];
const resolve = async (ids: number[]) => {
  lookups.push(ids);
  return users.filter((u) => ids.includes(u.userId));
};
const convert = (message: string, data?: string) => convertMessageML(message, data, resolve);
const pml = async (message: string) => (await convert(message)).presentationML;
const rejects = (message: string, data?: string) => expect(convert(message, data)).rejects.toBeInstanceOf(MessageMLError);

function wellFormed(xml: string): boolean {
  const parser = new SaxesParser();
  parser.write(xml).close();
  return true;
}

describe("MessageML → PresentationML", () => {
  it("wraps the content in the PresentationML root", async () => {
    expect(await pml("<messageML>Hello World!</messageML>")).toBe(`${DIV}Hello World!</div>`);
    expect(await pml("<messageML>Leseübungen</messageML>")).toBe(`${DIV}Leseübungen</div>`);
  });

  it("keeps an already-PresentationML root and its version", async () => {
    expect(await pml('<div data-format="PresentationML" data-version="2.0"><b>x</b></div>')).toBe(`${DIV}<b>x</b></div>`);
    expect(await pml('<div data-format="PresentationML" data-version="1.0">x</div>')).toBe('<div data-format="PresentationML" data-version="1.0">x</div>');
  });

  it("collapses newlines in text but not in code and pre", async () => {
    expect(await pml("<messageML>a\n\nb <b>c</b></messageML>")).toBe(`${DIV}a b <b>c</b></div>`);
    expect(await pml("<messageML>a\r\nb</messageML>")).toBe(`${DIV}a b</div>`);
    expect(await pml("<messageML><code>x\n  y</code><pre>1\n2</pre></messageML>")).toBe(`${DIV}<code>x\n  y</code><pre>1\n2</pre></div>`);
  });

  it("escapes text and attributes so the output stays well-formed XML", async () => {
    expect(await pml("<messageML>1 &lt; 2 &amp; 3 &gt; &quot;q&quot;</messageML>")).toBe(`${DIV}1 &lt; 2 &amp; 3 &gt; &quot;q&quot;</div>`);
    const out = await pml('<messageML><a href="https://x.io/?a=1&amp;b=&quot;2&quot;">l</a><span class="c">&#60;script&#62;</span></messageML>');
    expect(out).toBe(`${DIV}<a href="https://x.io/?a=1&amp;b=&quot;2&quot;">l</a><span class="c">&lt;script&gt;</span></div>`);
    expect(wellFormed(out)).toBe(true);
  });

  it("passes allowed tags through, self-closing void elements", async () => {
    expect(await pml('<messageML><p>p</p><br/><hr/><ul><li>i</li></ul><table><tr><td colspan="2">c</td></tr></table><img src="https://x.io/a.png"/></messageML>')).toBe(
      `${DIV}<p>p</p><br/><hr/><ul><li>i</li></ul><table><tr><td colspan="2">c</td></tr></table><img src="https://x.io/a.png"/></div>`,
    );
  });

  it("rejects empty and oversized input", async () => {
    await rejects("");
    await rejects("  \n ");
    await rejects(`<messageML>${"x".repeat(1_500_001)}</messageML>`);
    await rejects("<messageML>x</messageML>", "y".repeat(1_500_000));
  });

  it("rejects malformed XML and a wrong root", async () => {
    await rejects("<messageML>unclosed");
    await rejects("<messageML><b>x</i></messageML>");
    await rejects("plain text");
    await rejects("<html>x</html>");
    await rejects('<div data-format="Other">x</div>');
    await rejects("<messageML>a</messageML><messageML>b</messageML>");
    await expect(convert("<p>x</p>")).rejects.toThrow("Root tag must be <messageML> or <div>");
  });

  it("rejects DTDs: external entities (XXE) and entity bombs never expand", async () => {
    await rejects('<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><messageML>&xxe;</messageML>');
    const bomb = `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">`).join("")}]><messageML>&lol9;</messageML>`;
    await rejects(bomb);
    await rejects("<messageML>&nbsp;</messageML>");
    await rejects('<?xml-stylesheet href="x"?><messageML>x</messageML>');
  });

  it("rejects unknown elements and attributes, script and event handlers", async () => {
    await expect(convert("<messageML><script>alert(1)</script></messageML>")).rejects.toThrow('Invalid MessageML content at element "script"');
    await expect(convert('<messageML><img src="https://x.io" onerror="alert(1)"/></messageML>')).rejects.toThrow('Attribute "onerror" is not allowed in "img"');
    await rejects("<messageML><iframe/></messageML>");
  });

  it("allows only http, https and mailto links, and http(s) images", async () => {
    for (const href of ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "relative/path"]) {
      await rejects(`<messageML><a href="${href.replace(/</g, "&lt;").replace(/>/g, "&gt;")}">x</a></messageML>`);
    }
    expect(await pml('<messageML><a href="mailto:a@b.io">m</a></messageML>')).toBe(`${DIV}<a href="mailto:a@b.io">m</a></div>`);
    await rejects('<messageML><img src="mailto:a@b.io"/></messageML>');
  });

  it("rejects dangerous styles", async () => {
    for (const style of ["background:url(javascript:x)", "width:expression(alert(1))", "@import 'x'"]) {
      await rejects(`<messageML><span style="${style}">x</span></messageML>`);
    }
    expect(await pml('<messageML><span style="color:red">x</span></messageML>')).toBe(`${DIV}<span style="color:red">x</span></div>`);
  });

  it("turns mentions, hashtags, cashtags and emojis into numbered entities with EntityJSON", async () => {
    lookups = [];
    const res = await convert('<messageML>hi <mention uid="7078106482890"/> <hash tag="fx"/> <cash tag="AAPL"/> <emoji shortcode="smile"/></messageML>');
    expect(res.presentationML).toBe(
      `${DIV}hi <span class="entity" data-entity-id="mention1">@Bot User01</span> <span class="entity" data-entity-id="keyword2">#fx</span> <span class="entity" data-entity-id="keyword3">$AAPL</span> <span class="entity" data-entity-id="emoji4">:smile:</span></div>`,
    );
    expect(JSON.parse(res.entityJson)).toEqual({
      mention1: { type: "com.symphony.user.mention", version: "1.0", id: [{ type: "com.symphony.user.userId", value: "7078106482890" }] },
      keyword2: { type: "org.symphonyoss.taxonomy", version: "1.0", id: [{ type: "org.symphonyoss.taxonomy.hashtag", value: "fx" }] },
      keyword3: { type: "org.symphonyoss.fin.security", version: "1.0", id: [{ type: "org.symphonyoss.fin.security.id.ticker", value: "AAPL" }] },
      emoji4: { type: "com.symphony.emoji", version: "1.0", data: { annotation: "smile" } },
    });
    expect(lookups).toEqual([[7078106482890]]);
  });

  it("looks users up once per message and not at all without mentions", async () => {
    lookups = [];
    await convert("<messageML>no mentions</messageML>");
    expect(lookups).toEqual([]);
    await convert('<messageML><mention uid="7078106482890"/><mention uid="7078106482890"/></messageML>');
    expect(lookups).toEqual([[7078106482890]]);
  });

  it("refuses unknown or malformed mentions unless strict is false", async () => {
    await expect(convert('<messageML><mention uid="123"/></messageML>')).rejects.toThrow('Failed to lookup user "123"');
    expect(await pml('<messageML><mention uid="123" strict="false"/></messageML>')).toBe(`${DIV}@123</div>`);
    for (const m of ['<mention uid="abc"/>', '<mention uid="-1"/>', "<mention/>", '<mention email="a@b.io"/>', '<mention uid="1">text</mention>', '<hash tag=""/>']) {
      await rejects(`<messageML>${m}</messageML>`);
    }
  });

  it("renders a chime only as the sole content", async () => {
    expect(await pml("<messageML><chime/></messageML>")).toBe(`${DIV}<audio src="https://asset.symphony.com/symphony/audio/chime.mp3" autoplay="true"/></div>`);
    await rejects("<messageML>hello <chime/></messageML>");
    await rejects("<messageML><chime/><chime/></messageML>");
  });

  it("merges client EntityJSON with generated entities, generated ids winning", async () => {
    const res = await convert('<messageML><hash tag="x"/></messageML>', JSON.stringify({ custom: { a: 1 }, keyword1: "mine" }));
    expect(JSON.parse(res.entityJson)).toEqual({ custom: { a: 1 }, keyword1: expect.objectContaining({ type: "org.symphonyoss.taxonomy" }) });
    expect((await convert("<messageML>x</messageML>")).entityJson).toBe("{}");
    for (const bad of ["[1]", "not json", '"str"', "null"]) await rejects("<messageML>x</messageML>", bad);
  });

  it("leaves Freemarker syntax as literal text", async () => {
    const injection = '${"freemarker.template.utility.Execute"?new()("id")}';
    expect(await pml(`<messageML>${injection.replace(/"/g, "&quot;")}</messageML>`)).toBe(`${DIV}${injection.replace(/"/g, "&quot;")}</div>`);
  });

  it("bounds nesting depth", async () => {
    await rejects(`<messageML>${"<span>".repeat(100)}x${"</span>".repeat(100)}</messageML>`);
    expect(await pml(`<messageML>${"<span>".repeat(30)}x${"</span>".repeat(30)}</messageML>`)).toContain("x");
  });
});
