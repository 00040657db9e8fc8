import type { Migration } from "kysely";
import * as initial from "./0001_initial.js";
import * as custody from "./0002_custody.js";

export const migrations: Record<string, Migration> = { "0001_initial": initial, "0002_custody": custody };
