/**
 * The window's security settings and guards as plain data and pure functions (only type imports
 * from Electron), so tests can check them without starting Electron: the renderer is isolated and
 * sandboxed with no Node, may not open windows, navigate away, attach webviews, use permissions or
 * reach the network (the dev server excepted).
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The window's options; `icon` is resources/icon.png (Linux and Windows show it; macOS uses the bundle's). */
export function windowOptions(preloadPath: string, title: string, icon?: string): BrowserWindowConstructorOptions {
  return {
    ...(icon ? { icon } : {}),
    width: 1440,
    height: 920,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** setWindowOpenHandler: no new windows, whatever the URL. */
export function denyWindowOpen(): { action: 'deny' } {
  return { action: 'deny' };
}

/** will-navigate / will-redirect: stays only on the renderer's own URL. */
export function navigationGuard(
  isRendererUrl: (url: string) => boolean,
): (e: { url: string; preventDefault(): void }) => void {
  return (e) => {
    if (!isRendererUrl(e.url)) e.preventDefault();
  };
}

/** will-attach-webview: never. */
export function denyWebview(e: { preventDefault(): void }): void {
  e.preventDefault();
}

/** Permission requests and checks: every one refused. */
export function denyPermission(_wc: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** Whether a request to `url` is cancelled: everything over http(s)/ws(s) except the dev server's host. */
export function blocksRequest(devUrl: string | undefined): (url: string) => boolean {
  const devHost = devUrl ? new URL(devUrl).host : null;
  return (url) => {
    try {
      return devHost === null || new URL(url).host !== devHost;
    } catch {
      return true;
    }
  };
}
