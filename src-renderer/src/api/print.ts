/**
 * Exporting the report as a PDF.
 *
 * Desktop app: lay the report out at A4 content width first (so charts resize to the page, not the
 * window), wait for the layout and the charts, then the preload's printPdf() saves it with
 * Electron's printToPDF. Browser (headless host): the host renders the report page to PDF
 * (GET /report.pdf, src-main/transports/pdf.ts) and the answer is saved as a download; when the host
 * cannot (no Chromium there), its one-line reason is thrown for the page to show.
 */
import { isPreloadBridge } from '../api/bridge';
import { pageToken } from '../api/client';

const CLASS = 'print-prep';

function frames(n: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) => (left <= 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
    step(n);
  });
}

/** The host's PDF address for these runs: `/report.pdf?ids=a,b&ref=a&token=…`. */
export function reportPdfUrl(ids: readonly string[], ref: string | null, token: string | null): string {
  const q = new URLSearchParams({ ids: ids.join(',') });
  if (ref) q.set('ref', ref);
  if (token) q.set('token', token);
  return `/report.pdf?${q.toString()}`;
}

/** The file name from a Content-Disposition header, or a dated default. */
export function downloadName(disposition: string | null): string {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m?.[1] ?? `dwswap-report-${new Date().toISOString().slice(0, 10)}.pdf`;
}

async function hostPdf(ids: readonly string[], ref: string | null): Promise<string> {
  const res = await fetch(reportPdfUrl(ids, ref, pageToken()));
  if (!res.ok) throw new Error((await res.text()).trim() || `the host answered ${res.status}`);
  const name = downloadName(res.headers.get('Content-Disposition'));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `Downloaded ${name} (rendered by the host)`;
}

/** Resolves with a line to show the user (where the PDF went), or null. Throws on failure. */
export async function printReport(ids: readonly string[], ref: string | null): Promise<string | null> {
  const bridge = isPreloadBridge(window.dwswap) ? window.dwswap : null;
  if (!bridge?.printPdf) return hostPdf(ids, ref);
  const root = document.documentElement;
  root.classList.add(CLASS);
  await frames(3);
  await new Promise((r) => setTimeout(r, 120));
  try {
    const r = await bridge.printPdf();
    if (!r.ok) throw new Error(r.error.message);
    return r.path ? `Saved the report to ${r.path}` : null;
  } finally {
    root.classList.remove(CLASS);
  }
}
