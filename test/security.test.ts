/**
 * Issue #6, "Nothing lost, nothing let in": the security checklist, one test per item, against
 * the real host, store, engine and CLI.
 *
 *   1. the headless host: a forged token gets 401 and no socket; a foreign Origin 403  (here)
 *   2. static paths that leave the app folder are refused                            (here; more in transports.test.ts)
 *   3. a .dwrun archive with ../ entries is refused, nothing written outside          (here, via the CLI; entry rules in store.test.ts)
 *   4. a dataset zip with ../ entries is refused through the contract                 (here; loader rules in data.test.ts)
 *   5. a model.json naming weight files outside its folder is refused                 (here, also via a link; basic case in train.test.ts)
 *   6. the Electron window: isolated, sandboxed, no Node, web security, no navigation or new windows  (here)
 *   7. IPC from any sender but our own page is refused                                (ipc.test.ts)
 *   8. envelopes naming no contract method (constructor, onEvent, close) are refused  (transports.test.ts)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { checkModelDir, loadNetFromDir } from '../src-main/engine/modelio';
import { rendererUrlCheck } from '../src-main/ipc/register';
import { createHost, type Host } from '../src-main/host/host';
import {
  blocksRequest,
  denyPermission,
  denyWebview,
  denyWindowOpen,
  navigationGuard,
  windowOptions,
} from '../src-main/main/window';
import { openStore } from '../src-main/store';
import { dispatch } from '../src-main/transports/dispatch';
import { serveHost, type ServedHost } from '../src-main/transports/ws';
import { doneRun, folderState, modelFiles, okConfig, ROOT, runCli, runState, TINY_DATA } from './helpers/guarded-store';
import { encodeJpeg, makeTinyCifarZip } from './helpers/tiny-cifar';
import { connect, get } from './helpers/wire';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-sec-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every path under `dir` (files and folders), to show nothing new appeared anywhere in it. */
function everything(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

// ---------------------------------------------------------------------------------------------
// 1-2. The headless host.
// ---------------------------------------------------------------------------------------------

describe('the headless host (real host and store behind the WebSocket transport)', () => {
  const TOKEN = 'real-token-0123456789abcdef';
  let host: Host;
  let served: ServedHost;
  let dataDir: string;
  const api = (query: string) => `ws://127.0.0.1:${served.port}/api${query}`;

  beforeAll(async () => {
    const staticDir = path.join(tmp, 'renderer');
    fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>dwswap</title>');
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'do not serve');
    dataDir = path.join(tmp, 'served-data');
    host = await createHost({ dataDir });
    served = await serveHost(host, { staticDir, token: TOKEN });
  });

  afterAll(async () => {
    await served?.close();
    await host?.close();
  });

  it('refuses a forged token with 401 and no socket, and opens one for the real token', async () => {
    const before = await runState(host);
    const forged = [
      `?token=${TOKEN.slice(0, -1)}g`, // one character off
      `?token=${TOKEN.toUpperCase()}`,
      `?token=${TOKEN}x`,
      `?token=${TOKEN.slice(0, -1)}`,
      `?token=${encodeURIComponent(`${TOKEN}\0`)}`,
      '?token=',
      '',
      `?token=forged-token-000000000000&token=${TOKEN}`, // the first one counts
      `?tok=${TOKEN}`,
    ];
    for (const q of forged) expect(await connect(api(q)), q).toBe(401);
    expect(await runState(host), 'nothing reached the host').toEqual(before);
    const ws = await connect(api(`?token=${TOKEN}`));
    expect(ws).toBeInstanceOf(WebSocket);
    (ws as WebSocket).close();
  });

  it('refuses a foreign Origin with 403 even with the real token', async () => {
    const port = served.port;
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1.evil.example:${port}`,
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'file://',
      'null',
    ]) {
      expect(await connect(api(`?token=${TOKEN}`), origin), origin).toBe(403);
    }
  });

  it('refuses static paths that leave the app folder, however they are spelled', async () => {
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      `//${path.join(tmp, 'secret.txt')}`,
      `/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`,
    ]) {
      const r = await get(served.port, p);
      expect(r.status, p).toBe(403);
      expect(r.body).not.toContain('do not serve');
    }
    const doubled = await get(served.port, '/%252e%252e/secret.txt');
    expect(doubled.status, 'decoded once only: a literal %2e%2e folder, absent').toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Run archives with ../ entries.
// ---------------------------------------------------------------------------------------------

describe('a .dwrun archive that tries to write outside the data folder', () => {
  let entries: Record<string, Uint8Array>;
  let victim: string;

  beforeAll(async () => {
    const dataset = makeTinyCifarZip(path.join(tmp, 'arch-data'), { ...TINY_DATA, name: 'tiny.zip' });
    const source = path.join(tmp, 'arch-source');
    const store = openStore(source);
    try {
      const id = doneRun(store, 'exported', dataset, (await modelFiles()).resnet);
      await store.exportRun(id, path.join(tmp, 'exported.dwrun'));
    } finally {
      store.close();
    }
    entries = unzipSync(fs.readFileSync(path.join(tmp, 'exported.dwrun')));
    victim = path.join(tmp, 'victim');
    openStore(victim).close();
  });

  function craft(name: string, extra: Zippable, record?: (r: Record<string, unknown>) => void): string {
    const runJson = JSON.parse(strFromU8(entries['run.json'])) as Record<string, unknown>;
    record?.(runJson);
    const file = path.join(tmp, 'crafted', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, zipSync({ ...entries, 'run.json': strToU8(JSON.stringify(runJson)), ...extra }));
    return file;
  }

  it('dwswap import refuses it with one line, and nothing is written anywhere', async () => {
    const crafted = [
      craft('up.dwrun', { '../../escape.txt': strToU8('x') }),
      craft('files-up.dwrun', { 'files/../../../escape.txt': strToU8('x') }),
      craft('deep-up.dwrun', { 'files/model/../../../../escape.txt': strToU8('x') }),
      craft('record-up.dwrun', {}, (r) => (r.weightsPath = '../../../escape')),
    ];
    const tree = everything(tmp);
    const state = await folderState(victim);
    for (const file of crafted) {
      const r = await runCli(['import', file, '--store', victim]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^dwswap: error: unsafe path in archive: .*\.\.\/.*; nothing was imported, the file was not made by a workbench export\n$/,
      );
      expect(r.stdout).toBe('');
    }
    expect(everything(tmp), 'no file appeared anywhere').toEqual(tree);
    expect(await folderState(victim), 'the store is as it was').toEqual(state);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. A dataset zip with ../ entries, through the contract.
// ---------------------------------------------------------------------------------------------

describe('a dataset zip that tries to leave its folder', () => {
  it('startRun refuses it as bad input naming data.path; no run and no file are created', async () => {
    const img = encodeJpeg(new Uint8Array(32 * 32 * 3).fill(99), 32, 32);
    const zip = path.join(tmp, 'slip', 'slip.zip');
    fs.mkdirSync(path.dirname(zip), { recursive: true });
    const base = { 'train/a/0.jpg': img, 'train/b/0.jpg': img, 'test/a/0.jpg': img, 'test/b/0.jpg': img };
    fs.writeFileSync(zip, zipSync({ ...base, 'train/a/../../../../slipped.jpg': img }, { level: 0 }));
    const host = await createHost({ dataDir: path.join(tmp, 'slip-data') });
    try {
      const before = { runs: await runState(host), tree: everything(tmp) };
      const r = await dispatch(host, { id: 1, method: 'startRun', args: [okConfig(zip)] });
      expect(r).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'data.path' } });
      if (!r.ok)
        expect(r.error.message).toMatch(
          /^unsafe path in archive .*slip\.zip: entry "train\/a\/\.\.\/\.\.\/\.\.\/\.\.\/slipped\.jpg" — refusing it/,
        );
      expect({ runs: await runState(host), tree: everything(tmp) }).toEqual(before);
    } finally {
      await host.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. model.json pointing outside its folder.
// ---------------------------------------------------------------------------------------------

describe('a model.json whose weight files lie outside its folder', () => {
  it('a baseline imported with such a model.json is refused before any run starts, the outside file unread', async () => {
    const { resnet } = await modelFiles();
    const weights = resnet['weights.bin'];
    // The file outside has exactly the bytes the manifest describes, so only the path check stands in the way.
    const secret = path.join(tmp, 'outside', 'secret.bin');
    fs.mkdirSync(path.dirname(secret), { recursive: true });
    fs.writeFileSync(secret, weights);
    const dataset = makeTinyCifarZip(path.join(tmp, 'outside-data'), { ...TINY_DATA, name: 'tiny.zip' });
    const dataDir = path.join(tmp, 'outside', 'data');
    const host = await createHost({ dataDir });
    try {
      const id = doneRun(host.store, 'baseline from elsewhere', dataset, resnet);
      const modelDir = path.join(host.store.runDir(id), 'model');
      const json = JSON.parse(strFromU8(resnet['model.json'])) as { weightsManifest: { paths: string[] }[] };
      const escape = path.relative(modelDir, secret); // ../../../../secret.bin
      json.weightsManifest[0].paths = [escape];
      fs.writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify(json));
      fs.rmSync(path.join(modelDir, 'weights.bin'));

      const before = await runState(host);
      const r = await dispatch(host, {
        id: 1,
        method: 'startRun',
        args: [okConfig(dataset, { protocol: 'ours', baselineRunId: id })],
      });
      expect(r).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'baselineRunId' } });
      if (!r.ok)
        expect(r.error.message).toContain(
          `model.json names a weight file outside its folder (${escape}); refusing to read it`,
        );
      expect(await runState(host), 'no run was created').toEqual(before);
      await expect(loadNetFromDir(modelDir), 'the loader refuses it too').rejects.toThrow(/outside its folder/);
    } finally {
      await host.close();
    }
  });

  it('refuses a shard that is a link to a file outside, a sibling folder that shares the prefix, and an absolute path', async () => {
    const { resnet } = await modelFiles();
    const outside = path.join(tmp, 'links', 'outside.bin');
    fs.mkdirSync(path.dirname(outside), { recursive: true });
    fs.writeFileSync(outside, resnet['weights.bin']);
    const json = JSON.parse(strFromU8(resnet['model.json'])) as { weightsManifest: { paths: string[] }[] };
    const write = (dir: string, paths: string[]) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] }),
      );
      return dir;
    };
    const linked = write(path.join(tmp, 'links', 'model'), ['weights.bin']);
    fs.symlinkSync(outside, path.join(linked, 'weights.bin'));
    fs.mkdirSync(path.join(tmp, 'links', 'model-evil'));
    fs.writeFileSync(path.join(tmp, 'links', 'model-evil', 'weights.bin'), resnet['weights.bin']);
    const sibling = write(path.join(tmp, 'links', 'model2'), ['../model-evil/weights.bin']);
    const absolute = write(path.join(tmp, 'links', 'model3'), [outside]);
    for (const dir of [linked, sibling, absolute]) {
      expect(() => checkModelDir(dir), dir).toThrow(/names a weight file outside its folder/);
      await expect(loadNetFromDir(dir), dir).rejects.toThrow(/names a weight file outside its folder/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The Electron window.
// ---------------------------------------------------------------------------------------------

describe('the Electron window', () => {
  const RENDERER = pathToFileURL('/app/out/renderer/index.html').href;
  const isOurs = rendererUrlCheck(RENDERER);

  it('is isolated and sandboxed, with no Node, web security on, no webviews or insecure content', () => {
    const prefs = windowOptions('/app/out/preload/index.cjs', 'DWSwap Workbench').webPreferences!;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('shows the app icon of resources/, a 512x512 PNG rendered from resources/icon.svg', () => {
    const icon = path.join(ROOT, 'resources', 'icon.png');
    expect(windowOptions('/p.cjs', 't', icon).icon).toBe(icon);
    expect(windowOptions('/p.cjs', 't')).not.toHaveProperty('icon');
    const png = fs.readFileSync(icon);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature').toBe(true);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)], 'width and height').toEqual([512, 512]);
    expect(fs.readFileSync(path.join(ROOT, 'resources', 'icon.svg'), 'utf8')).toContain('<svg');
  });

  it('is what the main process opens, with these guards on every WebContents', () => {
    const main = fs.readFileSync(path.join(ROOT, 'src-main', 'main', 'index.ts'), 'utf8');
    expect(main).toContain('new BrowserWindow(windowOptions(PRELOAD, APP_NAME, ICON))');
    expect(main).toMatch(/setWindowOpenHandler\(denyWindowOpen\)/);
    expect(main).toMatch(/on\('will-navigate', guard\)/);
    expect(main).toMatch(/on\('will-redirect', guard\)/);
    expect(main).toMatch(/on\('will-attach-webview', denyWebview\)/);
    expect(main).toMatch(/setPermissionRequestHandler\(denyPermission\)/);
  });

  it('denies new windows, navigation and redirects away from the renderer, webviews and permissions', () => {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', RENDERER]) {
      expect(denyWindowOpen(), url).toEqual({ action: 'deny' });
    }
    const guard = navigationGuard(isOurs);
    const navigate = (url: string) => {
      let prevented = false;
      guard({ url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    expect(navigate('https://evil.example/'), 'away: prevented').toBe(true);
    expect(navigate('file:///app/out/renderer/other.html')).toBe(true);
    expect(navigate('javascript:alert(1)')).toBe(true);
    expect(navigate(`${RENDERER}#/history`), 'within the app: allowed').toBe(false);
    let webview = false;
    denyWebview({ preventDefault: () => (webview = true) });
    expect(webview).toBe(true);
    let granted: boolean | null = null;
    denyPermission(null, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
  });

  it('cancels every network request but those to the dev server', () => {
    const packaged = blocksRequest(undefined);
    expect(packaged('https://example.com/track.js')).toBe(true);
    expect(packaged('http://127.0.0.1:8080/api')).toBe(true);
    const dev = blocksRequest('http://localhost:5173');
    expect(dev('http://localhost:5173/src/main.ts')).toBe(false);
    expect(dev('ws://localhost:5173/')).toBe(false);
    expect(dev('http://localhost:5174/')).toBe(true);
    expect(dev('not a url')).toBe(true);
  });
});
