import { unary } from "@symphony/kit/client";
import { requiredString, userId, type Command } from "../command.js";
import { table, time } from "../output.js";

export const datafeedsList: Command = {
  path: ["datafeeds", "list"],
  synopsis: "--user ID",
  summary: "a user's datafeeds (v4 and v5)",
  options: { user: { type: "string" } },
  async run(input) {
    const uid = userId(requiredString(input, "user"), "--user");
    const { datafeeds } = await input.mesh.agent((agent, md) => unary(agent, agent.adminListDatafeeds, { userId: uid }, md));
    return { json: datafeeds, text: table(["ID", "API", "CREATED"], datafeeds.map((f) => [f.id, f.api, time(f.createdAt)])) };
  },
};

export const datafeedsDelete: Command = {
  path: ["datafeeds", "delete"],
  synopsis: "--user ID FEED_ID",
  summary: "delete one of a user's datafeeds",
  options: { user: { type: "string" } },
  args: { min: 1, max: 1 },
  async run(input) {
    const uid = userId(requiredString(input, "user"), "--user");
    const datafeedId = input.args[0]!;
    await input.mesh.agent((agent, md) => unary(agent, agent.adminDeleteDatafeed, { userId: uid, datafeedId }, md));
    return { json: { userId: uid, datafeedId, deleted: true }, text: `deleted datafeed ${datafeedId} of user ${uid}\n` };
  },
};
