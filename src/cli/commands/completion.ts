import { Argument, type Command, type Option } from 'commander';

/** Every command path ('scenarist', 'scenarist scenarios export', …) with its subcommands and its options. */
export function commandTable(program: Command): Array<{ path: string; subcommands: string[]; options: string[] }> {
  const out: Array<{ path: string; subcommands: string[]; options: string[] }> = [];
  const walk = (cmd: Command, path: string) => {
    const subcommands = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
    const options = [...cmd.options.flatMap((o: Option) => [o.long, o.short].filter((f): f is string => Boolean(f))), '--help'];
    out.push({ path, subcommands, options });
    for (const c of cmd.commands) walk(c, `${path} ${c.name()}`);
  };
  // Keyed from the program's name, as bash arrays cannot have an empty key.
  walk(program, program.name());
  return out;
}

const quote = (s: string) => `'${s}'`;

/**
 * A bash completion script: subcommands after each command, its options after a dash, and file
 * names where a command takes neither (import paths, --kb files).
 */
export function bashCompletion(program: Command): string {
  const table = commandTable(program);
  const entries = (pick: (t: (typeof table)[number]) => string[]) => table.map((t) => `    [${quote(t.path)}]=${quote(pick(t).join(' '))}`).join('\n');
  return `# scenarist completion for bash: add \`source <(scenarist completion bash)\` to ~/.bashrc
_scenarist() {
  local -A subs=(
${entries((t) => t.subcommands)}
  )
  local -A opts=(
${entries((t) => t.options)}
  )
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd=${quote(program.name())} next i
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="$cmd \${COMP_WORDS[i]}"
    [[ -n "\${subs[$next]+x}" ]] && cmd="$next"
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${opts[$cmd]}" -- "$cur"))
  elif [[ -n "\${subs[$cmd]}" ]]; then
    COMPREPLY=($(compgen -W "\${subs[$cmd]}" -- "$cur"))
  fi
}
complete -o default -F _scenarist scenarist
`;
}

/** The same for zsh, as a native completion function. */
export function zshCompletion(program: Command): string {
  const table = commandTable(program);
  const entries = (pick: (t: (typeof table)[number]) => string[]) => table.map((t) => `    ${quote(t.path)} ${quote(pick(t).join(' '))}`).join('\n');
  return `#compdef scenarist
# scenarist completion for zsh: add \`source <(scenarist completion zsh)\` to ~/.zshrc (after compinit)
_scenarist() {
  local -A subs opts
  subs=(
${entries((t) => t.subcommands)}
  )
  opts=(
${entries((t) => t.options)}
  )
  local cmd=${quote(program.name())} next i
  for ((i = 2; i < CURRENT; i++)); do
    next="$cmd \${words[i]}"
    (( \${+subs[$next]} )) && cmd="$next"
  done
  if [[ "$PREFIX" == -* ]]; then
    compadd -- \${=opts[$cmd]}
  elif [[ -n "\${subs[$cmd]}" ]]; then
    compadd -- \${=subs[$cmd]}
  else
    _files
  fi
}
compdef _scenarist scenarist
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script: `source <(scenarist completion bash)` in ~/.bashrc, or zsh in ~/.zshrc.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
