/**
 * Budget selection as an exact multiple-choice knapsack: each block is left dense (saves 0, loses 0)
 * or swapped at one of its depth multipliers (saves s, predicted to lose d); choose one option per
 * block so the savings reach `need` with the least total predicted loss.
 *
 * Solved exactly by dynamic programming over Pareto fronts: after each block, keep only the
 * partial choices not dominated by another (at least as much saved for at most as much lost), drop
 * those that cannot reach `need` even with every later block's largest saving, and keep a single
 * best one among those that already reach it. No discretisation, so no rounding of the budget.
 * Options that save nothing (a large r on a narrow block can cost more than the dense conv) are
 * never chosen; with every saving positive, keeping one best reaching choice is exact.
 */

export interface KnapsackOption {
  r: number;
  saved: number;
  drop: number;
}

export interface KnapsackItem {
  block: string;
  options: KnapsackOption[];
}

export interface KnapsackChoice {
  /** Block -> chosen depth multiplier (dense blocks are absent). */
  ranks: Record<string, number>;
  saved: number;
  drop: number;
}

/** The options that save something. */
function usable(items: KnapsackItem[]): KnapsackItem[] {
  return items.map((it) => ({ block: it.block, options: it.options.filter((o) => o.saved > 0) }));
}

interface State {
  saved: number;
  drop: number;
  picks: (number | null)[];
}

/** Better: lower loss; on a tie, more saved; then fewer swaps (fewer changes to the network). */
function better(a: State, b: State): boolean {
  if (a.drop !== b.drop) return a.drop < b.drop;
  if (a.saved !== b.saved) return a.saved > b.saved;
  return a.picks.filter((p) => p !== null).length < b.picks.filter((p) => p !== null).length;
}

/** Non-dominated states: sorted by saved descending, each kept only if it loses strictly less than all before it. */
function paretoFront(states: State[]): State[] {
  const sorted = [...states].sort((a, b) => b.saved - a.saved || a.drop - b.drop);
  const front: State[] = [];
  let best = Infinity;
  for (const s of sorted) {
    if (s.drop < best) {
      front.push(s);
      best = s.drop;
    }
  }
  return front;
}

/** The least-loss choice whose savings reach `need`, or null when even the largest savings fall short. */
export function chooseSwaps(all: KnapsackItem[], need: number): KnapsackChoice | null {
  const items = usable(all);
  const maxSaved = items.map((it) => Math.max(0, ...it.options.map((o) => o.saved)));
  const rest = maxSaved.map((_, i) => maxSaved.slice(i + 1).reduce((a, b) => a + b, 0));
  let states: State[] = [{ saved: 0, drop: 0, picks: [] }];
  items.forEach((item, i) => {
    const next: State[] = [];
    let done: State | null = null;
    for (const s of states) {
      const options: (KnapsackOption | null)[] = [null, ...item.options];
      options.forEach((o, k) => {
        const t: State = { saved: s.saved + (o?.saved ?? 0), drop: s.drop + (o?.drop ?? 0), picks: [...s.picks, o ? k - 1 : null] };
        if (t.saved + rest[i] < need) return;
        if (t.saved >= need) {
          if (!done || better(t, done)) done = t;
        } else next.push(t);
      });
    }
    states = paretoFront(next);
    if (done) states.push(done);
  });
  const feasible = states.filter((s) => s.saved >= need);
  if (feasible.length === 0) return null;
  const best = feasible.reduce((a, b) => (better(b, a) ? b : a));
  const ranks: Record<string, number> = {};
  best.picks.forEach((p, i) => {
    if (p !== null) ranks[items[i].block] = items[i].options[p].r;
  });
  return { ranks, saved: best.saved, drop: best.drop };
}

/** Every combination, for tests: the same answer by enumeration (small instances only). */
export function chooseSwapsBruteForce(all: KnapsackItem[], need: number): KnapsackChoice | null {
  const items = usable(all);
  let best: State | null = null;
  const walk = (i: number, s: State) => {
    if (i === items.length) {
      if (s.saved >= need && (!best || better(s, best))) best = s;
      return;
    }
    walk(i + 1, { ...s, picks: [...s.picks, null] });
    items[i].options.forEach((o, k) => walk(i + 1, { saved: s.saved + o.saved, drop: s.drop + o.drop, picks: [...s.picks, k] }));
  };
  walk(0, { saved: 0, drop: 0, picks: [] });
  if (!best) return null;
  const b: State = best;
  const ranks: Record<string, number> = {};
  b.picks.forEach((p, i) => {
    if (p !== null) ranks[items[i].block] = items[i].options[p].r;
  });
  return { ranks, saved: b.saved, drop: b.drop };
}
