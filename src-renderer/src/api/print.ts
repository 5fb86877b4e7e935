/**
 * Printing the report: lay the report out at A4 content width first (so charts resize to the
 * page, not the window), wait for the layout and the charts, then print. In the desktop app the
 * preload's printPdf() saves it with Electron's printToPDF; in a browser, window.print() opens
 * Chromium's print dialog (Save as PDF). Both use the print stylesheet.
 */
import { isPreloadBridge } from './bridge';

const CLASS = 'print-prep';

function frames(n: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) => (left <= 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
    step(n);
  });
}

/** Resolves with a line to show the user (where the PDF went), or null. Throws on failure. */
export async function printReport(): Promise<string | null> {
  const root = document.documentElement;
  root.classList.add(CLASS);
  await frames(3);
  await new Promise((r) => setTimeout(r, 120));
  const bridge = isPreloadBridge(window.dwswap) ? window.dwswap : null;
  if (bridge?.printPdf) {
    try {
      const r = await bridge.printPdf();
      if (!r.ok) throw new Error(r.error.message);
      return r.path ? `Saved the report to ${r.path}` : null;
    } finally {
      root.classList.remove(CLASS);
    }
  }
  const done = () => root.classList.remove(CLASS);
  window.addEventListener('afterprint', done, { once: true });
  window.print();
  setTimeout(done, 1000);
  return null;
}
