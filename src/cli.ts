/**
 * `container-lineage` command-line companion. Subcommands are added by the features
 * (tree, run, transactions, overhead); each uses the same core code as the extension.
 */
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
    case 'run':
      return (await import('./cli/run')).run(argv.slice(1));
    case 'transactions':
      return (await import('./cli/transactions')).run(argv.slice(1));
    default:
      process.stderr.write(`usage: container-lineage <command> [options]\n`);
      return cmd === undefined || cmd === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`container-lineage: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
