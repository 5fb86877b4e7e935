/**
 * Electron IPC transport: one invoke channel carrying ApiRequest envelopes through the same
 * `dispatch` the WebSocket transport uses, and one event channel forwarding host events to the
 * window. Only type imports from Electron, so tests can drive it with a fake ipcMain.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type ApiResponse, type HostService } from '../contract';
import { dispatch } from '../transports/dispatch';

export { EVENT_CHANNEL, INVOKE_CHANNEL };

/** The part of ipcMain used here. */
export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
/** The part of a window's WebContents used here. */
export type EventSink = Pick<WebContents, 'send' | 'isDestroyed'>;
/** What a handler needs to know about who sent an invoke. */
export type SenderInfo = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

/**
 * A predicate saying whether a URL is our renderer: for `file:` the same file (any query or
 * hash), for the dev server (`http:`) the same origin.
 */
export function rendererUrlCheck(rendererUrl: string): (url: string) => boolean {
  const ours = new URL(rendererUrl);
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if (ours.protocol === 'file:') return url.protocol === 'file:' && url.pathname === ours.pathname && !url.host;
    return url.origin === ours.origin;
  };
}

/**
 * True when an invoke came from the main frame of our window showing our renderer; an iframe,
 * another window or a page navigated elsewhere is refused.
 */
export function isTrustedSender(
  event: SenderInfo,
  getWebContents: () => unknown,
  isRendererUrl: (url: string) => boolean,
): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (event.sender !== getWebContents()) return false;
  return isRendererUrl(frame.url);
}

/** Registers the invoke handler and the event forwarding; returns the function undoing both. */
export function registerIpc(
  ipcMain: IpcMainLike,
  host: HostService,
  getWebContents: () => EventSink | null,
  isRendererUrl: (url: string) => boolean,
): () => void {
  ipcMain.handle(INVOKE_CHANNEL, (event: SenderInfo, req: unknown): Promise<ApiResponse> => {
    if (!isTrustedSender(event, getWebContents, isRendererUrl)) {
      throw new Error(`${INVOKE_CHANNEL} refused: the sender is not the workbench's own page`);
    }
    return dispatch(host, req);
  });
  const unsubscribe = host.onEvent((e) => {
    const wc = getWebContents();
    if (wc && !wc.isDestroyed()) wc.send(EVENT_CHANNEL, e);
  });
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    unsubscribe();
  };
}
