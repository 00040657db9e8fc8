/** The parsed JSON of an answer, its text when it is not JSON, or undefined when it is empty. */
export async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Stream and message ids go into paths URL-safe, as the official clients convert them (`+/=` → `-_`, no padding). */
export const urlSafeId = (id: string) => id.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** `?a=1&b=x` from the defined entries, or "" when there are none. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Which tokens a path takes: the key manager's only its own, the agent both, everything else the session's. */
export function tokensFor(path: string): { session: boolean; keyManager: boolean } {
  if (/^\/(relay|keyauth|keystore)\//.test(path)) return { session: false, keyManager: true };
  return { session: true, keyManager: path.startsWith("/agent/") };
}
