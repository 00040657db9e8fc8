import { describe, expect, it } from "vitest";
import { styleProblem } from "./css-policy.js";

describe("style allow-list", () => {
  it.each([
    "color:red",
    "COLOR: Red",
    "color:#fff; background-color:#00000080",
    "color: rgb(10, 20, 30); background-color: rgba(0,0,0,0.5)",
    "color: hsl(120, 50%, 50%)",
    "font-family: Arial, 'Helvetica Neue', sans-serif",
    "font-size: 14px; font-weight: 700; font-style: italic; line-height: 1.5",
    "font-size: 1.2em; letter-spacing: 1px",
    "text-align: center; text-decoration: underline dotted red; text-transform: uppercase",
    "margin: 0 auto; padding: 4px 8px 4px 8px",
    "margin-top: 10px; padding-left: 2em",
    "border: 1px solid #ccc; border-radius: 4px",
    "border-left: thick double blue; border-collapse: collapse",
    "width: 100%; max-width: 600px; height: auto",
    "display: inline-block; vertical-align: middle",
    "display: none",
    "white-space: pre-wrap; word-break: break-all; overflow: hidden",
    "color: red !important",
    "color: inherit",
    "",
    "color:red;",
    ";;color:red;;",
  ])("accepts %j", (style) => {
    expect(styleProblem(style)).toBeUndefined();
  });

  it.each([
    ["position:fixed;top:0;left:0;width:100%;height:100%", 'property "position" is not allowed'],
    ["POSITION: absolute", 'property "position" is not allowed'],
    ["z-index: 9999", 'property "z-index" is not allowed'],
    ["background: url(https://x.io/a.png)", "it contains characters styles may not use"],
    ["background: url(a.png)", 'property "background" is not allowed'],
    ["background-color: url(a.png)", 'the value of "background-color" is not allowed'],
    ["width: expression(alert(1))", 'the value of "width" is not allowed'],
    ["behavior: url(x.htc)", 'property "behavior" is not allowed'],
    ["-moz-binding: url(x.xml#xss)", 'property "-moz-binding" is not allowed'],
    ["@import 'x.css'", "it contains characters styles may not use"],
    ["color: red; } body { display: none", "it contains characters styles may not use"],
    ["background:u\\72l(x)", "it contains characters styles may not use"],
    ["col/**/or: red", "it contains characters styles may not use"],
    ["color: red; position: fixed", 'property "position" is not allowed'],
    ["x:JavaScript:y", 'property "x" is not allowed'],
    ["color: javascript:alert(1)", 'the value of "color" is not allowed'],
    ["width: 100vw", 'the value of "width" is not allowed'],
    ["width: 5000px", 'the value of "width" is not allowed'],
    ["height: 101%", 'the value of "height" is not allowed'],
    ["margin-top: -500px", 'the value of "margin-top" is not allowed'],
    ["font-size: 500px", 'the value of "font-size" is not allowed'],
    ["width: 10px10px", 'the value of "width" is not allowed'],
    ["display: contents", 'the value of "display" is not allowed'],
    ["display: block block", 'the value of "display" is not allowed'],
    ["color: #ggg", 'the value of "color" is not allowed'],
    ["color: rgb(0, 0, 0, 0, 0)", 'the value of "color" is not allowed'],
    ["font-family: 'a;b'", 'the value of "font-family" is not allowed'],
    ["color:", 'the value of "color" is not allowed'],
    ["color red", "it is not a list of declarations"],
    ["color: red !important !important", 'the value of "color" is not allowed'],
    ["border: 1px 2px solid", 'the value of "border" is not allowed'],
    ["color: ｒｅｄ", "it contains characters styles may not use"],
  ])("refuses %j", (style, problem) => {
    expect(styleProblem(style)).toBe(problem);
  });
});
