/**
 * `container-lineage` command-line companion. Subcommands are added by the features
 * (tree, run, transactions, overhead, serve); each uses the same core code as the extension.
 */
const USAGE = `usage: container-lineage <command> [options]   (each command takes --help)

  engine [--json]                          which engine would be used, or every endpoint tried
  tree [--json] [--all]                    local images as a parent/child forest, with their containers
  stages FILE [--build-arg K=V]... [--json]  a Dockerfile's stages and their resolved bases
  build [-f FILE] [-t TAG] [--target S] [--build-arg K=V]... [--builder auto|buildkit|classic] [--json] CONTEXT
                                           build an image (BuildKit where the engine has it)
  stale [--json]                           images built on a base that has since been rebuilt or re-tagged
  rebuild IMAGE [--dry-run] [--json]       rebuild IMAGE's stale descendants in order, from their recipes
  run IMAGE -- CMD...                      one transaction in a fresh throwaway container
  transactions IMAGE -n N -c C [--pool K] [--json] -- CMD...
                                           a batch of transactions, with per-phase percentiles
  overhead IMAGE --workload cpu|memory|io|net|custom [-n N] [--json] [-- CMD...]
                                           container vs host timings and lifecycle costs
  logs [-f] [--tail N] [-t] CONTAINER      a container's logs, followed with -f
  exec [-i] [-t] CONTAINER [--] CMD...     a command in a running container (-it for a shell)
  serve IMAGE --container-port PORT [--port P] [--idle S] [--max N] [--pool K] [--logout PATH]
                                           an HTTP gateway with one private container per session
                                           (--measure: what it costs; --isolation: check sessions)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  switch (cmd) {
    case 'engine':
      return (await import('./cli/engine')).run(argv.slice(1));
    case 'tree':
      return (await import('./cli/tree')).run(argv.slice(1));
    case 'overhead':
      return (await import('./cli/overhead')).run(argv.slice(1));
    case 'stages':
      return (await import('./cli/stages')).run(argv.slice(1));
    case 'build':
      return (await import('./cli/build')).run(argv.slice(1));
    case 'stale':
      return (await import('./cli/stale')).run(argv.slice(1));
    case 'rebuild':
      return (await import('./cli/rebuild')).run(argv.slice(1));
    case 'run':
      return (await import('./cli/run')).run(argv.slice(1));
    case 'transactions':
      return (await import('./cli/transactions')).run(argv.slice(1));
    case 'logs':
      return (await import('./cli/logs')).run(argv.slice(1));
    case 'exec':
      return (await import('./cli/exec')).run(argv.slice(1));
    case 'serve':
      return (await import('./cli/serve')).run(argv.slice(1));
    default: {
      const help = cmd === '--help' || cmd === '-h' || cmd === 'help';
      if (cmd === undefined) process.stderr.write('container-lineage: a command is required\n');
      else if (!help) process.stderr.write(`container-lineage: unknown command '${cmd}'\n`);
      (help ? process.stdout : process.stderr).write(USAGE);
      return help ? 0 : 2;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`container-lineage: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
