// A line diff of two texts (Myers' O((N+M)D) shortest edit script), for showing an operator what a
// migration changed in a configuration. Configurations are a few hundred lines; past `maxEdits` the
// diff gives up on alignment and shows the first text removed and the second added.

export interface DiffLine {
  op: 'same' | 'removed' | 'added';
  text: string;
}

const maxEdits = 2000;

export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  const offset = n + m + 1;
  const furthest = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, maxEdits); d++) {
    trace.push(furthest.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && furthest[k - 1 + offset]! < furthest[k + 1 + offset]!) ? furthest[k + 1 + offset]! : furthest[k - 1 + offset]! + 1;
      let y = x - k;
      while (x < n && y < m && before[x] === after[y]) {
        x++;
        y++;
      }
      furthest[k + offset] = x;
      if (x >= n && y >= m) return backtrack(trace, before, after, offset);
    }
  }
  return [...before.map((text) => ({ op: 'removed' as const, text })), ...after.map((text) => ({ op: 'added' as const, text }))];
}

/** Walks the recorded frontiers back from the end: each step is one edit and the common run before it. */
function backtrack(trace: Int32Array[], before: readonly string[], after: readonly string[], offset: number): DiffLine[] {
  const lines: DiffLine[] = [];
  let x = before.length;
  let y = after.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const furthest = trace[d]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && furthest[k - 1 + offset]! < furthest[k + 1 + offset]!) ? k + 1 : k - 1;
    const previousX = furthest[previousK + offset]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      lines.push({ op: 'same', text: before[--x]! });
      y--;
    }
    if (d > 0) {
      if (x === previousX) lines.push({ op: 'added', text: after[--y]! });
      else lines.push({ op: 'removed', text: before[--x]! });
    }
    x = previousX;
    y = previousY;
  }
  return lines.reverse();
}
