/**
 * The Electron IPC transport, driven through the functions the main process registers (Electron
 * itself cannot run here): a fake ipcMain records the handlers, fake senders play our page and
 * foreign ones.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent } from 'electron';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostEvent, HostService } from '../src-main/contract';
import {
  EVENT_CHANNEL,
  INVOKE_CHANNEL,
  registerIpc,
  rendererUrlCheck,
  type IpcMainLike,
} from '../src-main/ipc/register';
import { PRINT_PDF_CHANNEL, registerReportIpc, type PrintPdfResult } from '../src-main/ipc/report';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

function fakeIpcMain(): IpcMainLike & { handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, fn: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
}

function fakeWebContents() {
  const sent: [string, unknown][] = [];
  let destroyed = false;
  return {
    sent,
    send: (channel: string, arg: unknown) => void sent.push([channel, arg]),
    isDestroyed: () => destroyed,
    destroy: () => void (destroyed = true),
    printToPDF: async () => new TextEncoder().encode('%PDF-1.7 fake'),
  };
}

/** What Electron passes a handler: the sending WebContents and frame. */
function eventFrom(sender: unknown, url: string | null, parent: unknown = null): IpcMainInvokeEvent {
  return { sender, senderFrame: url === null ? null : { url, parent } } as unknown as IpcMainInvokeEvent;
}

function eventHost(): HostService & { emit(e: HostEvent): void; infoCalls: number } {
  const listeners = new Set<(e: HostEvent) => void>();
  const unused = (): Promise<never> => Promise.reject(new Error('not used in this test'));
  const h = {
    infoCalls: 0,
    emit: (e: HostEvent) => listeners.forEach((l) => l(e)),
    onEvent(l: (e: HostEvent) => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    async info() {
      h.infoCalls++;
      return { appVersion: '0.0.0-test', dataDir: '/nowhere', backend: null, defaultDataset: null };
    },
    inspect: unused,
    checkDataset: unused,
    listRuns: unused,
    getRun: unused,
    startRun: unused,
    cancelRun: unused,
    resumeRun: unused,
    renameRun: unused,
    tagRun: unused,
    deleteRun: unused,
    compare: unused,
    exportRun: unused,
    importRun: unused,
    exportOnnx: unused,
    evalOnnx: unused,
    timeInference: unused,
    blockLatency: unused,
  };
  return h;
}

const RENDERER = pathToFileURL('/app/out/renderer/index.html').href;
const isOurs = rendererUrlCheck(RENDERER);

describe('rendererUrlCheck', () => {
  it('accepts our file with any hash or query, nothing else', () => {
    expect(isOurs(`${RENDERER}#/live/r1`)).toBe(true);
    expect(isOurs(`${RENDERER}?x=1`)).toBe(true);
    expect(isOurs('file:///app/out/renderer/other.html')).toBe(false);
    expect(isOurs('file://server/app/out/renderer/index.html')).toBe(false);
    expect(isOurs('https://evil.example/app/out/renderer/index.html')).toBe(false);
    expect(isOurs('not a url')).toBe(false);
  });
  it('accepts the dev server by origin', () => {
    const dev = rendererUrlCheck('http://localhost:5173');
    expect(dev('http://localhost:5173/#/history')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
  });
});

describe('registerIpc', () => {
  const ipc = fakeIpcMain();
  const host = eventHost();
  const wc = fakeWebContents();
  const dispose = registerIpc(ipc, host, () => wc, isOurs);
  const invoke = ipc.handlers.get(INVOKE_CHANNEL)!;

  it('registers exactly one invoke channel', () => {
    expect([...ipc.handlers.keys()]).toEqual([INVOKE_CHANNEL]);
  });

  it('dispatches our page’s requests through the contract', async () => {
    const r = await invoke(eventFrom(wc, `${RENDERER}#/launch`), { id: 3, method: 'info', args: [] });
    expect(r).toMatchObject({ id: 3, ok: true, result: { appVersion: '0.0.0-test' } });
    const bad = await invoke(eventFrom(wc, RENDERER), { id: 4, method: 'eval', args: [] });
    expect(bad).toMatchObject({ id: 4, ok: false, error: { code: 'bad-input', field: 'method' } });
  });

  it('refuses foreign senders without calling the host', async () => {
    const before = host.infoCalls;
    const req = { id: 5, method: 'info', args: [] };
    const foreign = [
      eventFrom(wc, 'https://evil.example/'), // our window, navigated elsewhere
      eventFrom(wc, RENDERER, { url: 'https://evil.example/' }), // an iframe in our page
      eventFrom(fakeWebContents(), RENDERER), // another window
      eventFrom(wc, null), // a frame already gone
    ];
    for (const event of foreign) expect(() => invoke(event, req)).toThrow(/refused/);
    expect(host.infoCalls).toBe(before);
  });

  it('forwards host events to the window until it is destroyed', () => {
    const e: HostEvent = { type: 'log', runId: 'r1', level: 'info', message: 'hello' };
    host.emit(e);
    expect(wc.sent).toEqual([[EVENT_CHANNEL, e]]);
    wc.destroy();
    host.emit(e);
    expect(wc.sent).toHaveLength(1);
  });

  it('undoes both on dispose', () => {
    dispose();
    expect(ipc.handlers.size).toBe(0);
    const other = fakeWebContents();
    registerIpc(fakeIpcMain(), host, () => other, isOurs)();
    host.emit({ type: 'status', runId: 'r1', status: 'done', reason: null });
    expect(other.sent).toHaveLength(0);
  });
});

describe('registerReportIpc (dwswap:print-pdf)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dwswap-pdf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function setup(choice: string | null) {
    const ipc = fakeIpcMain();
    const wc = fakeWebContents();
    const asked: string[] = [];
    registerReportIpc(ipc, {
      getWebContents: () => wc,
      isRendererUrl: isOurs,
      choosePath: async (name) => {
        asked.push(name);
        return choice;
      },
    });
    const handler = ipc.handlers.get(PRINT_PDF_CHANNEL)!;
    return { wc, asked, print: (event: IpcMainInvokeEvent) => handler(event) as Promise<PrintPdfResult> };
  }

  it('prints our page and saves it where the user chose, adding .pdf', async () => {
    const { wc, asked, print } = setup(join(dir, 'report'));
    expect(await print(eventFrom(wc, `${RENDERER}#/report?ids=a,b`))).toEqual({
      ok: true,
      path: join(dir, 'report.pdf'),
    });
    expect(asked[0]).toMatch(/^dwswap-report-\d{4}-\d{2}-\d{2}\.pdf$/);
    expect(readFileSync(join(dir, 'report.pdf'), 'utf8')).toBe('%PDF-1.7 fake');
  });

  it('answers path null when the user cancels, and refuses foreign senders', async () => {
    const { wc, print } = setup(null);
    expect(await print(eventFrom(wc, RENDERER))).toEqual({ ok: true, path: null });
    expect(() => print(eventFrom(wc, 'https://evil.example/'))).toThrow(/refused/);
    expect(existsSync(join(dir, 'null.pdf'))).toBe(false);
  });

  it('reports a write failure as a one-line error', async () => {
    const { wc, print } = setup(join(dir, 'missing-folder', 'r.pdf'));
    const r = await print(eventFrom(wc, RENDERER));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^could not save the PDF to .*r\.pdf: cannot write .*r\.pdf \(ENOENT\); check that the folder is writable/);
  });
});
