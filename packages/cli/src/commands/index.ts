import type { Command } from "../command.js";
import { datafeedsDelete, datafeedsList } from "./datafeeds.js";
import { deadLettersList, deadLettersReplay } from "./deadletters.js";
import { health } from "./health.js";
import { audit, keysRotate, masterKeyReload, masterKeyStatus } from "./keys.js";
import { entitlementSet, entitlementShow } from "./objectstore.js";
import { streamsList, streamsMembers } from "./streams.js";
import { usersCreate, usersDisable, usersEnable, usersKeysSet, usersList, usersShow } from "./users.js";

export const COMMANDS: Command[] = [
  health,
  usersCreate,
  usersDisable,
  usersEnable,
  usersKeysSet,
  usersShow,
  usersList,
  streamsList,
  streamsMembers,
  keysRotate,
  audit,
  masterKeyStatus,
  masterKeyReload,
  datafeedsList,
  datafeedsDelete,
  entitlementShow,
  entitlementSet,
  deadLettersList,
  deadLettersReplay,
];
