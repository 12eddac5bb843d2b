// The shape DESIGN.md section 3 asks of the code, checked on every run: imports only go down the layers
// (common -> protocol -> agent -> manager -> interfaces), no import circle joins files of different
// folders, and SQL lives only in the manager's store.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const layers = ['common', 'protocol', 'agent', 'families', 'manager', 'interfaces'] as const;
/**
 * Device families sit beside the agent: neither may import the other, save a family's personality (the
 * face a virtual device of that family shows), which is built on the agent's device.
 */
const rank: Record<string, number> = { common: 0, protocol: 1, agent: 2, families: 2, manager: 3, interfaces: 4 };
const isPersonality = (file: string): boolean => /^src\/families\/[^/]+\/personality[^/]*\.ts$/.test(file);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const files = sourceFiles('src');
const layerOf = (file: string): string => file.split('/')[1]!;

/** The project files a file imports (static imports and re-exports, type-only ones too). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/gm)) {
    targets.push(normalize(join(dirname(file), match[1]!)));
  }
  return targets;
}

const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => files.includes(target))]));

test('the source tree has the layers DESIGN.md names, and every import resolves to a file', () => {
  assert.deepEqual([...new Set(files.map(layerOf))].sort(), [...layers].sort());
  for (const [file, targets] of graph) assert.equal(targets.length, importsOf(file).length, `${file} imports a file that does not exist`);
});

test('imports only go down the layers', () => {
  const upward = [...graph].flatMap(([file, targets]) =>
    targets
      .filter((target) => !(isPersonality(file) && layerOf(target) === 'agent'))
      .filter((target) => rank[layerOf(target)]! > rank[layerOf(file)]! || (layerOf(target) !== layerOf(file) && rank[layerOf(target)] === rank[layerOf(file)]))
      .map((target) => `${file} -> ${target}`),
  );
  assert.deepEqual(upward, []);
});

test('no import circle joins files of different folders', () => {
  // Tarjan's strongly connected components: a component of more than one file is a circle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const circles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (stack.includes(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const circle: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      circle.push(member);
    } while (member !== file);
    if (circle.length > 1) circles.push(circle);
  };
  for (const file of files) if (!index.has(file)) visit(file);
  const crossFolder = circles.filter((circle) => new Set(circle.map(dirname)).size > 1);
  assert.deepEqual(crossFolder, []);
});

test('SQL and database queries appear only under src/manager/store', () => {
  const store = join('src', 'manager', 'store');
  const offenders = files.filter((file) => {
    if (!relative(store, file).startsWith('..')) return false;
    // String literals in single quotes are left out of the query check: a message may name a query.
    const text = readFileSync(join(root, file), 'utf8');
    const code = text.replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
    return /\.query\s*[<(]/.test(code) || /\b(?:SELECT|INSERT INTO|UPDATE \w+\.\w+ SET|DELETE FROM|CREATE (?:TABLE|INDEX|SCHEMA)|ALTER TABLE)\b/.test(text);
  });
  assert.deepEqual(offenders, []);
});

test('the manager never reaches a personality: what it drives is the family driver', () => {
  const reached = [...graph].flatMap(([file, targets]) => (layerOf(file) === 'manager' ? targets.filter(isPersonality).map((t) => `${file} -> ${t}`) : []));
  assert.deepEqual(reached, []);
});
