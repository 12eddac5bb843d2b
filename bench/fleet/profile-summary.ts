// Where a V8 CPU profile's time went: self time grouped by package (node_modules/<name>), by our own
// source folder, or by Node.js internals, and the heaviest functions. For `bench/fleet.ts --manager-profile DIR`.
//
//   node --import tsx bench/fleet/profile-summary.ts DIR/CPU.*.cpuprofile
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(src\/[^/]+\/[^/]+)\//.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url === '' ? '(native, GC, idle)' : url;
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(1).padStart(6)} s  ${name}`);
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id)!;
  const us = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    return;
  }
  total += us;
  byArea.set(area(url), (byArea.get(area(url)) ?? 0) + us);
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
});
process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle\nby area:\n${top(byArea, total, 15).join('\n')}\nheaviest functions (self time):\n${top(byFunction, total, 25).join('\n')}\n`,
);
