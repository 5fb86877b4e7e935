/**
 * The Electron main process, kept thin: one instance, one locked-down window, the host (which
 * trains in a worker thread, so this event loop stays free), and the IPC that connects them.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, type Session, type WebContents } from 'electron';
import { createHost } from '../host/host';
import { registerIpc, rendererUrlCheck } from '../ipc/register';
import { registerReportIpc, saveDialogChooser } from '../ipc/report';
import { blocksRequest, denyPermission, denyWebview, denyWindowOpen, navigationGuard, windowOptions } from './window';

type Host = Awaited<ReturnType<typeof createHost>>;

const APP_NAME = 'DWSwap Workbench';
/** electron-vite output: out/main/index.js, out/preload/index.cjs, out/renderer/index.html. */
const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const RENDERER_FILE = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
/** resources/ at the project's root, two folders up from both src-main/main/ and out/main/. */
const ICON = fileURLToPath(new URL('../../resources/icon.png', import.meta.url));
const DEV_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const isRendererUrl = rendererUrlCheck(DEV_URL ?? pathToFileURL(RENDERER_FILE).href);

let win: BrowserWindow | null = null;
let host: Host | null = null;
let hostClosed = false;

if (!app.requestSingleInstanceLock()) {
  process.stderr.write(`${APP_NAME} is already open; its window has been brought to the front.\n`);
  app.quit();
} else {
  app.on('second-instance', focusExisting);
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (host && BrowserWindow.getAllWindows().length === 0) win = createWindow();
  });
  app.on('will-quit', (e) => {
    if (!host || hostClosed) return;
    e.preventDefault();
    void host.close().finally(() => {
      hostClosed = true;
      app.quit();
    });
  });
  app.whenReady().then(start).catch(failStart);
}

async function start(): Promise<void> {
  lockDownSession(session.defaultSession);
  host = await createHost({ dataDir: app.getPath('userData') });
  const getWebContents = (): WebContents | null => win?.webContents ?? null;
  registerIpc(ipcMain, host, getWebContents, isRendererUrl);
  registerReportIpc(ipcMain, {
    getWebContents,
    isRendererUrl,
    choosePath: saveDialogChooser(dialog, () => win),
  });
  win = createWindow();
}

function failStart(e: unknown): void {
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  dialog.showErrorBox(`${APP_NAME} could not start`, message ?? 'unknown error');
  app.exit(1);
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow(windowOptions(PRELOAD, APP_NAME, ICON));
  w.once('ready-to-show', () => w.show());
  w.on('closed', () => {
    if (win === w) win = null;
  });
  void (DEV_URL ? w.loadURL(DEV_URL) : w.loadFile(RENDERER_FILE));
  return w;
}

/** A second launch lands here: bring our window forward and say why no new one opened. */
function focusExisting(): void {
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  void dialog.showMessageBox(win, {
    type: 'info',
    title: APP_NAME,
    message: `${APP_NAME} is already open`,
    detail: 'Your runs are all in this window, so it was brought to the front instead of opening a second one.',
  });
}

/** No new windows, no navigation away from the renderer, no webviews: for every WebContents. */
function hardenContents(contents: WebContents): void {
  const guard = navigationGuard(isRendererUrl);
  contents.setWindowOpenHandler(denyWindowOpen);
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', denyWebview);
}

/** Every permission denied; no http(s)/ws(s) request leaves the app except to the dev server. */
function lockDownSession(ses: Session): void {
  ses.setPermissionRequestHandler(denyPermission);
  ses.setPermissionCheckHandler(() => false);
  const blocked = blocksRequest(DEV_URL);
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, cb) => {
    cb({ cancel: blocked(details.url) });
  });
}
