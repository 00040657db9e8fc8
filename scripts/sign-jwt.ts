// Prints a Symphony login JWT (RS512, {sub, exp: now+240 s}) for curl-based logins:
//   npx tsx scripts/sign-jwt.ts <username> <private-key.pem>
import { readFileSync } from "node:fs";
import { signLoginJwt } from "@symphony/sdk";

const [username, keyFile] = process.argv.slice(2);
if (!username || !keyFile) {
  console.error("usage: npx tsx scripts/sign-jwt.ts <username> <private-key.pem>");
  process.exit(2);
}
console.log(await signLoginJwt(username, readFileSync(keyFile, "utf8")));
