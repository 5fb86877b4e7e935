/**
 * The headless host: the same host the desktop app runs, served to a browser over WebSocket.
 *
 *   npx tsx src-main/serve/main.ts [--port N] [--data DIR] [--host ADDR --allow-remote] [--token T]
 *
 * Prints one line, the URL to open (it carries the access token), and keeps running until
 * SIGINT/SIGTERM, when it closes the server and the host (which cancels or finishes its runs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveHost } from '../transports/ws';
import { createHost } from '../host/host';

const USAGE = `usage: npm run host -- [--port N] [--data DIR] [--host ADDR --allow-remote] [--token T] [--origin URL]
  --port N         port to listen on (default 0: any free port)
  --data DIR       where runs are kept (default ./data)
  --host ADDR      address to listen on (default 127.0.0.1); other than loopback needs --allow-remote
  --allow-remote   accept connections from other machines (anyone with the token controls the host)
  --token T        access token (default: random); 16+ URL-safe characters
  --origin URL     extra page origin allowed to connect, e.g. behind a reverse proxy (repeatable)`;

const STATIC_DIR = fileURLToPath(new URL('../../out/renderer', import.meta.url));

interface Args {
  port: number;
  dataDir: string;
  host: string;
  allowRemote: boolean;
  token?: string;
  origins: string[];
}

function parse(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '0' },
      data: { type: 'string', default: 'data' },
      host: { type: 'string', default: '127.0.0.1' },
      'allow-remote': { type: 'boolean', default: false },
      token: { type: 'string' },
      origin: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  return {
    port,
    dataDir: path.resolve(values.data),
    host: values.host,
    allowRemote: values['allow-remote'],
    token: values.token,
    origins: values.origin,
  };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args === 'help') return void console.log(USAGE);
  if (!fs.existsSync(path.join(STATIC_DIR, 'index.html'))) {
    throw new Error(
      `the renderer is not built (no ${path.join(STATIC_DIR, 'index.html')}); run \`npm run build:web\` first`,
    );
  }
  const host = await createHost({ dataDir: args.dataDir });
  let served;
  try {
    served = await serveHost(host, {
      port: args.port,
      host: args.host,
      allowRemote: args.allowRemote,
      token: args.token,
      origins: args.origins,
      staticDir: STATIC_DIR,
    });
  } catch (e) {
    await host.close();
    throw e;
  }
  if (served.remote) {
    console.error(`warning: listening on ${served.host}; anyone on the network with the token controls this host`);
  }
  console.log(served.url);
  onShutdown(async () => {
    await served.close();
    await host.close();
  });
}

/** Runs `stop` on the first SIGINT/SIGTERM; a second signal exits at once. */
function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`error while shutting down: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

main().catch((e: unknown) => {
  console.error(`dwswap host: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
  process.exit(1);
});
