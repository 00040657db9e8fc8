// Copies the google.api annotation protos we depend on from the google-proto-files package,
// so the proto tree is self-contained for buf and for anyone reading the contracts.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const source = join(dirname(require.resolve("google-proto-files/package.json")), "google", "api");
const target = new URL("../proto/third_party/google/api/", import.meta.url).pathname;
const checkOnly = process.argv.includes("--check-only");
mkdirSync(target, { recursive: true });
let stale = false;
for (const file of ["annotations.proto", "http.proto"]) {
  const wanted = readFileSync(join(source, file), "utf8");
  let current = "";
  try {
    current = readFileSync(join(target, file), "utf8");
  } catch {}
  if (current === wanted) continue;
  if (checkOnly) {
    console.error(`proto/third_party/google/api/${file} differs from google-proto-files`);
    stale = true;
  } else copyFileSync(join(source, file), join(target, file));
}
if (stale) process.exit(1);
