/** Small helpers shared by the backend attempts (backend.ts, webgpu.ts). */

/** `usable`: the engine could run but `auto` passes it over (a software WebGPU adapter). */
export type Attempt = { ok: true; device: string | null } | { ok: false; reason: string; usable?: boolean };

/** Imports a module whose name is only known at run time, so bundlers leave optional packages alone. */
export async function optionalImport(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

export function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 200);
}
