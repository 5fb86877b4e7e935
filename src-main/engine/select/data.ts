/** The set a choice is made on: the validation split, or (labelled, the study's way) the test set. */
import type { SelectOn } from '../../contract';
import type { RunContext } from '../run-context';
import type { TensorData } from '../train';

export function selectionData(ctx: Pick<RunContext, 'data'>, on: SelectOn): TensorData {
  if (on === 'test') return ctx.data.test;
  if (!ctx.data.val) {
    throw Object.assign(new Error('this run has no validation split to choose on; set a validation fraction above 0, or choose on the test set (study protocol)'), { code: 'bad-input' });
  }
  return ctx.data.val;
}
