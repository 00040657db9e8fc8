import type { Command } from "./command.js";
import { UsageError } from "./failures.js";
import { GLOBAL_OPTIONS } from "./parse.js";

// `symphony-admin completion bash|zsh` prints a completion script generated from the command
// table, so it always knows the commands and options this version has. zsh runs the bash one
// through bashcompinit, which every zsh ships.
const SHELLS = ["bash", "zsh"] as const;

const flags = (options: object) => Object.keys(options).map((o) => `--${o}`);

function bashScript(commands: Command[]): string {
  const next = new Map<string, Set<string>>();
  const add = (prefix: string, words: string[]) => next.set(prefix, new Set([...(next.get(prefix) ?? []), ...words]));
  add("", ["help", "completion"]);
  add("completion", [...SHELLS]);
  for (const c of commands) {
    for (let i = 0; i < c.path.length; i++) add(c.path.slice(0, i).join(" "), [c.path[i]!]);
    add(c.path.join(" "), flags({ ...GLOBAL_OPTIONS, ...c.options }));
  }
  const cases = [...next].map(([prefix, words]) => `    "${prefix}") next="${[...words].join(" ")}" ;;`);
  return `# symphony-admin completion for bash; in ~/.bashrc: source <(symphony-admin completion bash)
_symphony_admin() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w next
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    [[ $w == -* ]] || path="\${path:+$path }$w"
  done
  case "$path" in
${cases.join("\n")}
    *) next="${flags(GLOBAL_OPTIONS).join(" ")}" ;;
  esac
  # An option typed before the command words: the global ones.
  [[ $cur == -* && $next != *--* ]] && next="${flags(GLOBAL_OPTIONS).join(" ")}"
  COMPREPLY=($(compgen -W "$next" -- "$cur"))
}
complete -o default -F _symphony_admin symphony-admin
`;
}

export function completionScript(shell: string | undefined, commands: Command[]): string {
  if (shell === "bash") return bashScript(commands);
  if (shell === "zsh") return `# symphony-admin completion for zsh; in ~/.zshrc: source <(symphony-admin completion zsh)\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(commands)}`;
  throw new UsageError(`completion takes one of: ${SHELLS.join(", ")}`, "usage: symphony-admin completion bash|zsh");
}
