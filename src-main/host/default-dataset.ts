/**
 * findDefaultDataset: where a checkout or a device machine keeps the CIFAR-10 zips (the `shared/data`
 * folder beside or inside the checkout). Deployment knowledge, so the host's, not the engine's.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_ENV = 'DWSWAP_DATA';
const ZIPS = ['cifar10-jpeg-small.zip', 'cifar10-jpeg.zip'];

/** The nearest folder above this module holding a package.json, or null. */
function repoRoot(): string | null {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.url));
  } catch {
    return null;
  }
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Candidate paths in preference order: env var, then the small zip, then the full one. */
export function defaultDatasetCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const bases = [process.cwd(), repoRoot()].filter((b): b is string => b !== null);
  const fromEnv = env[DATA_ENV] ? [resolve(env[DATA_ENV]!)] : [];
  const zips = ZIPS.flatMap((zip) =>
    bases.flatMap((b) => [join(b, '..', 'shared', 'data', zip), join(b, 'shared', 'data', zip)]),
  );
  return [...new Set([...fromEnv, ...zips])];
}

/** The first existing default dataset (DWSWAP_DATA first, then the small zip), or null. */
export function findDefaultDataset(): string | null {
  return defaultDatasetCandidates().find((p) => existsSync(p)) ?? null;
}
