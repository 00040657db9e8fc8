export const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

/** `%text%` for a case-insensitive LIKE, with LIKE's wildcards in the text escaped. */
export const containsPattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
