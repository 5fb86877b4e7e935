import { describe, expect, it } from 'vitest';
import { archiveFileName, defaultExportPath } from '../../src-renderer/src/lib/archive';

describe('where History proposes to export a run', () => {
  it('names the file after the run, with .dwrun', () => {
    expect(archiveFileName('baseline 30 epochs', 'r1')).toBe('baseline 30 epochs.dwrun');
  });

  it('replaces what no common file system accepts in a name, and collapses spaces', () => {
    expect(archiveFileName('ours: 1/16 width?', 'r1')).toBe('ours- 1-16 width-.dwrun');
    expect(archiveFileName('a\\b*c"d<e>f|g', 'r1')).toBe('a-b-c-d-e-f-g.dwrun');
    expect(archiveFileName('tab\there\nnewline   spaces', 'r1')).toBe('tab-here-newline spaces.dwrun');
  });

  it('never starts the name with a dot or ends it with a dot or space; uses the id when nothing is left', () => {
    expect(archiveFileName('..hidden', 'r1')).toBe('hidden.dwrun');
    expect(archiveFileName('run. ', 'r1')).toBe('run.dwrun');
    expect(archiveFileName('', 'run-id-1')).toBe('run-id-1.dwrun');
    expect(archiveFileName('   ', 'run-id-1')).toBe('run-id-1.dwrun');
    expect(archiveFileName('...', 'run-id-1')).toBe('run-id-1.dwrun');
  });

  it('caps long names at 120 characters before the extension', () => {
    expect(archiveFileName('x'.repeat(300), 'r1')).toBe(`${'x'.repeat(120)}.dwrun`);
  });

  it('puts it in <dataDir>/exports with the data folder’s own separator', () => {
    const run = { name: 'e2e baseline', id: 'r1' };
    expect(defaultExportPath('/home/me/.dwswap', run)).toBe('/home/me/.dwswap/exports/e2e baseline.dwrun');
    expect(defaultExportPath('/home/me/.dwswap/', run)).toBe('/home/me/.dwswap/exports/e2e baseline.dwrun');
    expect(defaultExportPath('C:\\Users\\me\\dwswap', run)).toBe('C:\\Users\\me\\dwswap\\exports\\e2e baseline.dwrun');
    expect(defaultExportPath('/', { name: '', id: 'r1' })).toBe('/exports/r1.dwrun');
  });
});
