import { describe, expect, it, vi } from "vitest";

const seen = vi.hoisted(() => ({ logged: [] as { fields: Record<string, unknown>; message: string }[], counted: [] as Record<string, unknown>[] }));

vi.mock("@symphony/kit", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@symphony/kit")>()),
  createLogger: () => ({ warn: (fields: Record<string, unknown>, message: string) => seen.logged.push({ fields, message }) }),
  meter: { createCounter: () => ({ add: (_: number, attributes: Record<string, unknown>) => seen.counted.push(attributes) }) },
}));

const { safeContent, WITHHELD } = await import("./safe-content.js");

const origin = { streamId: "s1", messageId: "m1", traceId: "t1" };
const pml = (body: string) => `<div data-format="PresentationML" data-version="2.0">${body}</div>`;

describe("withholding decrypted content", () => {
  it("logs and counts a refusal by its rule, with no trace of the content", () => {
    const secret = "SECRET-4711";
    const content = safeContent({ presentationMl: pml(`${secret}<img src="https://x.io/a.png" onerror="steal('${secret}')"/>`), entityJson: `{"s":"${secret}"}` }, origin);
    expect(content).toEqual({ presentationMl: WITHHELD, entityJson: "{}", shared: undefined });
    expect(seen.counted).toEqual([{ rule: "attribute", part: "message" }]);
    expect(seen.logged).toHaveLength(1);
    expect(seen.logged[0]?.fields).toEqual({ ...origin, part: "message", rule: "attribute" });
    expect(JSON.stringify(seen.logged)).not.toMatch(/SECRET|onerror|steal/);
  });

  it("leaves allowed content as it is, and says nothing", () => {
    seen.logged.length = 0;
    seen.counted.length = 0;
    const content = { presentationMl: pml("<b>hi</b>"), entityJson: '{"a":1}', shared: { messageId: "m2", presentationMl: pml("<i>x</i>"), entityJson: "" } };
    expect(safeContent(content, origin)).toEqual({ ...content, shared: { ...content.shared, entityJson: "{}" } });
    expect(seen).toEqual({ logged: [], counted: [] });
  });

  it("is itself allowed markup", async () => {
    const { checkPresentationML } = await import("./presentationml.js");
    expect(checkPresentationML(WITHHELD)).toBe(WITHHELD);
  });
});
