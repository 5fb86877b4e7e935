import { describe, expect, it } from 'vitest';
import { OPTIMISER_PRESETS, type RunConfigOf } from '../../src-main/contract';
import {
  defaultDraft,
  draftFromConfig,
  fieldError,
  fieldLabel,
  issuesToFieldErrors,
  swappedFor,
  toConfigInput,
  validateDraft,
} from '../../src-renderer/src/lib/runForm';

const ok = () => ({ ...defaultDraft({ dataPath: '/data/cifar10.zip' }) });
/** A field of a configuration, whichever protocol's it is (undefined when the protocol has none). */
const field = (o: object, key: string): unknown => (o as Record<string, unknown>)[key];

describe('launcher draft', () => {
  it('a default baseline draft with a dataset path validates into a RunConfig', () => {
    const v = validateDraft(ok());
    expect(v.errors).toEqual({});
    expect(v.config?.protocol).toBe('baseline');
    expect(v.config!.model, 'a baseline swaps nothing, so has no list').not.toHaveProperty('swapped');
    expect(v.config).not.toHaveProperty('baselineRunId');
    expect(v.config).not.toHaveProperty('greedy');
  });

  it('keys each zod issue by its dotted path so the form can show it next to its field', () => {
    const d = ok();
    d.data.path = '';
    d.epochs = 0;
    d.greedy.threshold = 2;
    const v = validateDraft(d);
    expect(v.config).toBeNull();
    expect(v.errors['data.path']).toMatch(/dataset path is empty/);
    expect(v.errors.epochs).toBe('epochs must be at least 1');
    expect(v.errors['greedy.threshold'], 'a baseline has no greedy settings to check').toBeUndefined();
    const g = validateDraft({ ...d, protocol: 'greedy', baselineRunId: 'b' });
    expect(g.errors['greedy.threshold']).toBeTruthy();
    expect(g.errors.epochs, 'greedy has no epochs to check').toBeUndefined();
  });

  it('turns an empty number input ("") into "enter a number"', () => {
    const d = ok();
    (d as unknown as { batchSize: unknown }).batchSize = '';
    expect(validateDraft(d).errors.batchSize).toBe('enter a number');
  });

  it('requires a baseline run for greedy, ours and control but not for manual', () => {
    for (const p of ['greedy', 'ours', 'control'] as const) {
      const d = { ...ok(), protocol: p };
      expect(validateDraft(d).errors.baselineRunId, p).toMatch(/baseline run/);
    }
    const m = { ...ok(), protocol: 'manual' as const };
    m.model.swapped = ['conv2_block1'];
    expect(validateDraft(m).errors.baselineRunId).toBeUndefined();
  });

  it('requires at least one block for a manual run', () => {
    const d = { ...ok(), protocol: 'manual' as const };
    expect(validateDraft(d).errors['model.swapped']).toMatch(/at least one block/);
  });

  it('swaps all 16 blocks with SVD init for "ours", none for baseline/greedy/control, the selection for manual', () => {
    const d = ok();
    d.model.swapped = ['conv3_block2', 'conv2_block1'];
    d.model.swap.init = 'random';
    const ours = toConfigInput({ ...d, protocol: 'ours', baselineRunId: 'b' });
    expect(ours.model, 'ours means all 16 blocks: no list to disagree').not.toHaveProperty('swapped');
    expect(field(ours.model!, 'swap')).toMatchObject({ init: 'svd' });
    expect(swappedFor({ ...d, protocol: 'greedy' })).toEqual([]);
    expect(swappedFor({ ...d, protocol: 'baseline' })).toEqual([]);
    expect(swappedFor({ ...d, protocol: 'manual' })).toEqual(['conv2_block1', 'conv3_block2']);
  });

  it('drops the baseline run id for a baseline run and trims the path', () => {
    const d = { ...ok(), baselineRunId: 'x' };
    d.data.path = '  /data/c.zip ';
    const input = toConfigInput(d);
    expect(input).not.toHaveProperty('baselineRunId');
    expect(input.data.path).toBe('/data/c.zip');
  });

  it('prefills a draft from a past run that validates back to the same configuration', () => {
    const d = ok();
    d.protocol = 'greedy';
    d.baselineRunId = 'base-1';
    d.optimiser = { ...OPTIMISER_PRESETS.study };
    const first = validateDraft(d).config!;
    const again = validateDraft(draftFromConfig(first, 'again')).config!;
    expect({ ...again, name: '' }).toEqual({ ...first, name: '' });
    expect(again.optimiser).toMatchObject({ name: 'rmsprop', learningRate: 1e-5, centered: true });
  });

  it('maps the model folder to initFrom for a baseline only, trimmed; it then allows 0 epochs', () => {
    const d = { ...ok(), initFrom: '  /models/keras-resnet50 ', epochs: 0 };
    const v = validateDraft(d);
    expect(v.errors, 'epochs 0 measures an imported model').toEqual({});
    expect(field(v.config!, 'initFrom')).toBe('/models/keras-resnet50');
    expect(field(v.config!, 'epochs')).toBe(0);

    expect(field(toConfigInput({ ...d, initFrom: '   ' }), 'initFrom'), 'blank means random weights').toBeUndefined();
    expect(validateDraft({ ...d, initFrom: '' }).errors.epochs, 'without a folder 0 epochs is refused').toBe(
      'epochs must be at least 1',
    );
    const manual = { ...d, protocol: 'manual' as const, epochs: 1 };
    manual.model.swapped = ['conv2_block1'];
    expect(toConfigInput(manual), 'other protocols start from a baseline run, not a folder').not.toHaveProperty('initFrom');
    expect(validateDraft(manual).errors).toEqual({});
  });

  it('a re-run of a run started from a model folder keeps the folder', () => {
    const first = validateDraft({ ...ok(), initFrom: '/models/m', epochs: 0 }).config!;
    const draft = draftFromConfig(first, 'again');
    expect(draft.initFrom).toBe('/models/m');
    expect(validateDraft(draft).config).toEqual({ ...first, name: 'again' });
    expect(draftFromConfig({ ...(first as RunConfigOf<'baseline'>), initFrom: undefined }, '').initFrom).toBe('');
    expect(fieldLabel('initFrom')).toBe('Start from model folder');
  });

  it('finds errors on sub-paths and names fields for people', () => {
    const errs = issuesToFieldErrors([{ path: ['model', 'swapped', 3], message: 'unknown block name' }]);
    expect(fieldError(errs, 'model.swapped')).toBe('unknown block name');
    expect(fieldError(errs, 'epochs')).toBeNull();
    expect(fieldLabel('model.swapped.3')).toBe('Blocks to swap');
    expect(fieldLabel('data.path')).toBe('Dataset path');
    expect(fieldLabel('weird')).toBe('weird');
  });
});
