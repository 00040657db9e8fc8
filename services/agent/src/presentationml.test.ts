import { describe, expect, it } from "vitest";
import { MarkupError, type MarkupRule } from "./markup-policy.js";
import { convertMessageML } from "./messageml.js";
import { checkPresentationML } from "./presentationml.js";
import { sharedPostContent } from "./shared-article.js";

const DIV = '<div data-format="PresentationML" data-version="2.0">';
const pml = (body: string) => `${DIV}${body}</div>`;

function refusal(markup: string): MarkupRule {
  try {
    checkPresentationML(markup);
  } catch (err) {
    if (err instanceof MarkupError) return err.rule;
    throw err;
  }
  throw new Error(`accepted: ${markup}`);
}

describe("PresentationML check", () => {
  it.each([
    pml("hello"),
    pml('<p class="c" style="color:red; font-weight:bold" data-entity-id="e1">x</p>'),
    pml('<a href="https://x.io/?a=1&amp;b=2">l</a><a href="mailto:a@b.io">m</a>'),
    pml('<img src="https://x.io/a.png" alt="A"/><br/><hr/>'),
    pml('<table><tr><td rowspan="2" colspan="3">c</td></tr></table>'),
    pml('<span class="entity" data-entity-id="mention1">@Bot</span>'),
    pml('<card class="barStyle"><header>h</header><body>b</body></card>'),
    pml('<audio src="https://asset.symphony.com/symphony/audio/chime.mp3" autoplay="true"/>'),
    pml("<pre>  a\n  &lt;b&gt;</pre>"),
    '<div data-format="PresentationML" data-version="1.0">old</div>',
  ])("returns allowed markup unchanged: %s", (markup) => {
    expect(checkPresentationML(markup)).toBe(markup);
  });

  it("returns a canonical serialisation of what it parsed", () => {
    expect(checkPresentationML(pml("<p/><b class='x'>&#65;&apos;</b>"))).toBe(pml('<p></p><b class="x">A\'</b>'));
    expect(checkPresentationML(pml('<a href="https://x.io/&quot;&gt;&lt;script&gt;">x</a>'))).toBe(pml('<a href="https://x.io/&quot;&gt;&lt;script&gt;">x</a>'));
  });

  it.each<[string, MarkupRule]>([
    [pml("<script>alert(1)</script>"), "element"],
    [pml('<img src="https://x.io/a.png" onerror="alert(1)"/>'), "attribute"],
    [pml('<b onclick="alert(1)">x</b>'), "attribute"],
    [pml('<a href="javascript:alert(1)">x</a>'), "url"],
    [pml('<a href=" JaVaScRiPt:alert(1)">x</a>'), "url"],
    [pml('<a href="java&#9;script:alert(1)">x</a>'), "url"],
    [pml('<a href="vbscript:x">x</a>'), "url"],
    [pml('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>'), "url"],
    [pml('<img src="data:image/svg+xml,x"/>'), "url"],
    [pml("<img/>"), "attribute"],
    [pml('<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999">Session expired, log in again</div>'), "style"],
    [pml('<span style="background:url(https://x.io/t.gif)">x</span>'), "style"],
    [pml('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"/>'), "element"],
    [pml('<p srcdoc="x">x</p>'), "attribute"],
    [pml('<b formaction="javascript:alert(1)">x</b>'), "attribute"],
    [pml('<svg><script>alert(1)</script></svg>'), "element"],
    [pml('<style>body{display:none}</style>'), "element"],
    [pml('<form><input/></form>'), "element"],
    [pml('<td rowspan="1 onmouseover=alert(1)">x</td>'), "attribute"],
    [pml('<audio src="https://evil.io/a.mp3" autoplay="true"/>'), "element"],
    [pml('<audio src="https://asset.symphony.com/symphony/audio/chime.mp3" autoplay="true"/><img src="https://x.io/a.png"/>'), "structure"],
    [pml("<br>x</br>"), "structure"],
    [pml("<!-- x -->"), "xml"],
    [pml("<![CDATA[<script>alert(1)</script>]]>"), "xml"],
    [pml('<?xml-stylesheet href="x.xsl"?>'), "xml"],
    ['<!DOCTYPE x [<!ENTITY e "e">]><div data-format="PresentationML" data-version="2.0">&e;</div>', "xml"],
    [pml("&nbsp;"), "xml"],
    [pml("<b>x"), "xml"],
    ["<script>alert(1)</script>", "structure"],
    ['<div data-format="PresentationML" data-version="2.0" onload="alert(1)">x</div>', "attribute"],
    ['<div data-format="PresentationML" data-version="x&quot; onload=&quot;alert(1)">x</div>', "attribute"],
    ["<messageML>x</messageML>", "structure"],
    ["", "xml"],
    ["plain text", "xml"],
    [pml(`${"<span>".repeat(64)}x${"</span>".repeat(64)}`), "structure"],
  ])("refuses %s (%s)", (markup, rule) => {
    expect(refusal(markup)).toBe(rule);
  });

  it("accepts everything the converter and the share writer produce, unchanged", async () => {
    const written = await convertMessageML(
      `<messageML><p style="color:#333;margin:0 auto">Hi <mention uid="7"/> <hash tag="x"/> <cash tag="AAPL"/> <emoji shortcode="smile"/></p>
        <pre>a &lt; b\n  c</pre><table><tr><td colspan="2">&amp;"'</td></tr></table><a href="https://x.io/?q=&quot;">l</a><img src="https://x.io/a.png" alt="a"/></messageML>`,
      undefined,
      async () => [{ userId: 7, displayName: 'Bot <"&">' }],
    );
    expect(checkPresentationML(written.presentationML)).toBe(written.presentationML);

    const shared = sharedPostContent(
      { articleId: "", title: "<T>", subTitle: "s", message: 'say "hi" & <b>', publisher: "p", author: "a", appId: "app", articleUrl: "https://x.io/a?b=1&c=2", summary: "", thumbnailUrl: "", appIconUrl: "", appName: "", publishDate: 0 },
      "m1",
    );
    expect(checkPresentationML(shared.presentationMl)).toBe(shared.presentationMl);
    expect(checkPresentationML(shared.shared?.presentationMl ?? "")).toBe(shared.shared?.presentationMl);
  });
});
