type Cell = string | number | boolean | undefined | null;

const show = (c: Cell) => (c === undefined || c === null || c === "" ? "-" : String(c));

/** Columns padded to their widest cell, two spaces apart, header first. */
export function table(header: string[], rows: Cell[][]): string {
  const cells = [header, ...rows.map((r) => r.map(show))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** One "label  value" line per field, labels aligned. */
export function fields(pairs: [string, Cell][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${show(value)}`).join("\n") + "\n";
}

export function time(ms: number | undefined | null): string | undefined {
  return ms ? new Date(ms).toISOString() : undefined;
}
