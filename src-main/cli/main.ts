/**
 * dwswap: the workbench's headless command line, on the same host and engine as the app.
 *
 *   dwswap inspect [--swap all|none|LIST] [--width N] [--depth-multiplier R] [--json]
 *   dwswap train --protocol P --data PATH [...options]     (Ctrl-C cancels; `resume` continues)
 *   dwswap runs [--json] | resume ID | compare ID... [--ref ID] [--json|--md]
 *   dwswap export ID FILE | import FILE | delete ID | check-data PATH
 *   dwswap reproduce seed [--profile cpu|quick|full|smoke] [--data PATH] [--out DIR] [--backend NAME] [--seed N]
 *
 * Errors print as one line naming the problem and the fix, with exit code 2 (bad input) or 1.
 */
import { ZodError } from 'zod';
import { COMMANDS, type CommandContext } from './commands';
import { toApiError } from '../transports/errors';
import { CliError, parseCli } from './args';
import { terminalSafe } from './sanitise';

function oneLine(e: unknown): { message: string; code: number } {
  if (e instanceof CliError) return { message: e.message, code: 2 };
  if (e instanceof ZodError) return { message: toApiError(e).message, code: 2 };
  const err = e as Error & { code?: string };
  const code = err.code === 'bad-input' || err.code === 'not-found' || err.code === 'conflict' || err.name === 'DataError' ? 2 : 1;
  return { message: String(err.message ?? e).split('\n')[0], code };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCli(argv);
  const command = COMMANDS[parsed.command];
  if (!command) throw new CliError(`unknown command '${parsed.command}'; run dwswap --help`);
  // Every line the CLI prints passes terminalSafe: names and messages may come from an imported archive.
  const ctx: CommandContext = {
    args: parsed,
    out: (s) => process.stdout.write(terminalSafe(s, true) + '\n'),
    err: (s) => process.stderr.write(terminalSafe(s, true)),
    progress: (s) => process.stderr.write(`\r${terminalSafe(s)}\x1b[K`),
  };
  return command(ctx);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const { message, code } = oneLine(e);
    process.stderr.write(`dwswap: error: ${terminalSafe(message)}\n`);
    process.exit(code);
  },
);
