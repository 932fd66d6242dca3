import type { Command, Option } from "commander";

/**
 * Shell completion scripts, made from the commands and options the program
 * defines (so they never fall behind): `straymap completion bash|zsh|fish`.
 */

interface Verb {
  /** "scan", or "request open" for a subcommand. */
  path: string[];
  description: string;
  options: { flag: string; description: string; choices?: readonly string[]; takesValue: boolean }[];
  children: string[];
}

function verbs(program: Command): Verb[] {
  const all: Verb[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const options = (cmd.options as Option[])
      .filter((o) => o.long)
      .map((o) => ({ flag: o.long!, description: o.description, choices: o.argChoices, takesValue: o.required || o.optional }));
    all.push({ path, description: cmd.description(), options, children: cmd.commands.map((c) => c.name()) });
    for (const c of cmd.commands) walk(c, [...path, c.name()]);
  };
  walk(program, []);
  return all;
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

function bash(program: Command): string {
  const name = program.name();
  const cases = verbs(program)
    .map((v) => {
      const words = [...v.children, ...v.options.map((o) => o.flag), "--help"].join(" ");
      const choices = v.options
        .filter((o) => o.choices)
        .map((o) => `        ${o.flag}) COMPREPLY=($(compgen -W ${quote(o.choices!.join(" "))} -- "$cur")); return ;;`)
        .join("\n");
      return `    ${quote(v.path.join(" "))})\n      case "$prev" in\n${choices}\n      esac\n      words_here=${quote(words)} ;;`;
    })
    .join("\n");
  return `# bash completion for ${name}: eval "$(${name} completion bash)" (e.g. in ~/.bashrc)
_${name}_complete() {
  local cur prev path="" words_here="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The verbs typed so far (words before the cursor that are not options or their values).
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) [[ " $(_${name}_children "$path") " == *" \${COMP_WORDS[i]} "* ]] && path="\${path:+$path }\${COMP_WORDS[i]}" ;; esac
  done
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* || -n "$(_${name}_children "$path")" ]]; then
    COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
_${name}_children() {
  case "$1" in
${verbs(program)
  .map((v) => `    ${quote(v.path.join(" "))}) echo ${quote(v.children.join(" "))} ;;`)
  .join("\n")}
  esac
}
complete -o default -F _${name}_complete ${name}
`;
}

function zsh(program: Command): string {
  const name = program.name();
  const cases = verbs(program)
    .map((v) => {
      const children = v.children.map((c) => quote(c)).join(" ");
      const flags = [...v.options.map((o) => o.flag), "--help"].map(quote).join(" ");
      const choices = v.options
        .filter((o) => o.choices)
        .map((o) => `      ${quote(o.flag)}) compadd -- ${o.choices!.map(quote).join(" ")}; return ;;`)
        .join("\n");
      return `    ${quote(v.path.join(" "))})\n      case "$prev" in\n${choices}\n      esac\n      children=(${children}); flags=(${flags}) ;;`;
    })
    .join("\n");
  return `#compdef ${name}
# zsh completion for ${name}: ${name} completion zsh > "\${fpath[1]}/_${name}", or eval "$(${name} completion zsh)"
_${name}() {
  local verb="" prev="\${words[CURRENT-1]}" w
  local -a children flags
  for w in "\${(@)words[2,CURRENT-1]}"; do
    [[ "$w" == -* ]] && continue
    case "$verb" in
${verbs(program)
  .map((v) => `      ${quote(v.path.join(" "))}) [[ " ${v.children.join(" ")} " == *" $w "* ]] && verb="\${verb:+$verb }$w" ;;`)
  .join("\n")}
    esac
  done
  case "$verb" in
${cases}
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- $flags
  elif (( \${#children} )); then compadd -- $children
  else _files
  fi
}
if [[ "$funcstack[1]" == "_${name}" ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

function fish(program: Command): string {
  const name = program.name();
  const lines = [`# fish completion for ${name}: ${name} completion fish > ~/.config/fish/completions/${name}.fish`];
  for (const v of verbs(program)) {
    // Fish asks about the words typed so far: "seen scan" for the scan options, "seen request; seen open" for subcommands.
    const seen = v.path.map((p) => `__fish_seen_subcommand_from ${p}`).join("; and ");
    const under = v.path.length === 0 ? "__fish_use_subcommand" : `${seen}; and not __fish_seen_subcommand_from ${v.children.join(" ") || "__none__"}`;
    for (const c of v.children) {
      const child = program.commands.find((x) => x.name() === c) ?? null;
      const text = v.path.length === 0 ? (child?.description() ?? "") : "";
      lines.push(`complete -c ${name} -f -n ${quote(under)} -a ${quote(c)}${text ? ` -d ${quote(text)}` : ""}`);
    }
    if (v.path.length === 0) continue;
    for (const o of v.options) {
      const values = o.choices ? ` -x -a ${quote(o.choices.join(" "))}` : o.takesValue ? " -r" : "";
      lines.push(`complete -c ${name} -n ${quote(seen)} -l ${o.flag.slice(2)}${values} -d ${quote(o.description.split(" (")[0])}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function completionScript(shell: "bash" | "zsh" | "fish", program: Command): string {
  return shell === "bash" ? bash(program) : shell === "zsh" ? zsh(program) : fish(program);
}
