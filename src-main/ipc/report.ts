/**
 * "Save as PDF" for the desktop app: an extra IPC channel beside the HostApi contract (the
 * contract is transport-neutral; printing a window is Electron's business). The renderer shows
 * its report view, then calls `window.dwswap.printPdf()`; the main process asks where to save,
 * prints the sender's page with `webContents.printToPDF` and writes the file.
 * Only type imports from Electron: the dialog comes in as a parameter, so tests can fake it.
 */
import path from 'node:path';
import type { BaseWindow, Dialog, PrintToPDFOptions } from 'electron';
import { PRINT_PDF_CHANNEL, type PrintPdfResult } from '../contract';
import { writeUserFile } from '../store/safe-write';
import { toApiError } from '../transports/errors';
import { isTrustedSender, type IpcMainLike, type SenderInfo } from './register';

export { PRINT_PDF_CHANNEL, type PrintPdfResult };

export interface PdfSource {
  printToPDF(options: PrintToPDFOptions): Promise<Uint8Array>;
}

export interface ReportDeps {
  /** Asks the user where to save; resolves null on cancel. */
  choosePath(defaultName: string): Promise<string | null>;
  getWebContents(): (PdfSource & { isDestroyed(): boolean }) | null;
  isRendererUrl(url: string): boolean;
}

const PDF_OPTIONS: PrintToPDFOptions = {
  printBackground: true,
  pageSize: 'A4',
  landscape: false,
};

/** `dwswap-report-2025-11-28.pdf` */
export function defaultPdfName(now = new Date()): string {
  return `dwswap-report-${now.toISOString().slice(0, 10)}.pdf`;
}

/** Prints `source` to PDF and saves it where the user chooses. */
export async function exportPdf(source: PdfSource, choosePath: ReportDeps['choosePath']): Promise<PrintPdfResult> {
  const chosen = await choosePath(defaultPdfName());
  if (!chosen) return { ok: true, path: null };
  const file = path.extname(chosen) ? chosen : `${chosen}.pdf`;
  try {
    const pdf = await source.printToPDF(PDF_OPTIONS);
    // The save dialog has asked before replacing a file; a link, device or FIFO is still refused.
    await writeUserFile(file, pdf, { overwrite: true });
    return { ok: true, path: file };
  } catch (e) {
    const err = toApiError(e);
    return { ok: false, error: { code: err.code, message: `could not save the PDF to ${file}: ${err.message}` } };
  }
}

/** A `choosePath` backed by Electron's save dialog, attached to the window when there is one. */
export function saveDialogChooser(
  dialog: Pick<Dialog, 'showSaveDialog'>,
  getWindow: () => BaseWindow | null,
): ReportDeps['choosePath'] {
  return async (defaultName) => {
    const options = { defaultPath: defaultName, filters: [{ name: 'PDF', extensions: ['pdf'] }] };
    const win = getWindow();
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? null : r.filePath;
  };
}

export function registerReportIpc(ipcMain: IpcMainLike, deps: ReportDeps): () => void {
  ipcMain.handle(PRINT_PDF_CHANNEL, (event: SenderInfo): Promise<PrintPdfResult> => {
    if (!isTrustedSender(event, deps.getWebContents, deps.isRendererUrl)) {
      throw new Error(`${PRINT_PDF_CHANNEL} refused: the sender is not the workbench's own page`);
    }
    const wc = deps.getWebContents();
    if (!wc || wc.isDestroyed()) {
      return Promise.resolve({ ok: false, error: { code: 'internal', message: 'no window to print' } });
    }
    return exportPdf(wc, deps.choosePath);
  });
  return () => ipcMain.removeHandler(PRINT_PDF_CHANNEL);
}
