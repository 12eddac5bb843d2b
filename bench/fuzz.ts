// Fuzzing of every input the product accepts: each target (bench/fuzz/targets.ts) gets seeded fast-check
// inputs, bounded in number and time, against the real parser or a real server on loopback. Prints, per
// target, the inputs tried, the failures (each with the seed and path that replay it) and the seconds,
// then the totals and the command that produced them. Exits 1 when anything failed.
//
//   node --import tsx bench/fuzz.ts [--target NAME[,NAME...]] [--inputs N] [--seed S] [--seconds T]
//   node --import tsx bench/fuzz.ts --target NAME --seed S --path P      (replays one failure)
//
// --inputs is per target (default: each target's own); --seconds bounds each target's round (default 600).
import { parseArgs } from 'node:util';
import { type RoundReport, runRound } from './fuzz/run.ts';
import { targetNamed, targets } from './fuzz/targets.ts';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    inputs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '600' },
    path: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
const say = (text: string) => process.stdout.write(`${text}\n`);
const usage = (text: string): never => {
  process.stderr.write(`${text}\n`);
  process.exit(2);
};

if (args.list) {
  for (const t of targets) say(`${t.name.padEnd(22)} ${t.description}`);
  process.exit(0);
}
const chosen = args.target ? args.target.split(',').map((name) => targetNamed(name) ?? usage(`no target ${name}; --list names them`)) : targets;
const inputs = args.inputs === undefined ? undefined : Number(args.inputs);
const seed = Number(args.seed);
const seconds = Number(args.seconds);
if (inputs !== undefined && !(Number.isInteger(inputs) && inputs >= 1 && inputs <= 100_000_000)) usage('--inputs: a whole number from 1 to 100000000');
if (!Number.isInteger(seed)) usage('--seed: a whole number');
if (!(seconds > 0 && seconds <= 86_400)) usage('--seconds: above 0, at most 86400');
if (args.path !== undefined && chosen.length !== 1) usage('--path replays one failure of one --target');

const command = ['node --import tsx bench/fuzz.ts', ...process.argv.slice(2)].join(' ');
const reports: RoundReport[] = [];
for (const target of chosen) {
  const report = await runRound(target, {
    inputs: inputs ?? target.defaultInputs,
    seed,
    timeLimitMs: seconds * 1000,
    ...(args.path !== undefined ? { path: args.path } : {}),
  });
  reports.push(report);
  say(`${report.target.padEnd(22)} inputs ${String(report.inputs).padStart(9)}  failures ${report.failures.length}  ${report.seconds.toFixed(1)} s`);
  // The first few are enough to start from; the rest differ by seed only.
  for (const f of report.failures.slice(0, 5)) {
    say(`  FAIL ${f.error}`);
    say(`    input: ${f.counterexample}`);
    say(`    replay: node --import tsx bench/fuzz.ts --target ${report.target} --seed ${f.seed} --path ${f.path}`);
  }
  if (report.failures.length > 5) say(`  … and ${report.failures.length - 5} more failures`);
}
const total = reports.reduce((sum, r) => ({ inputs: sum.inputs + r.inputs, failures: sum.failures + r.failures.length, seconds: sum.seconds + r.seconds }), {
  inputs: 0,
  failures: 0,
  seconds: 0,
});
say(`${'total'.padEnd(22)} inputs ${String(total.inputs).padStart(9)}  failures ${total.failures}  ${total.seconds.toFixed(1)} s`);
say(`command: ${command}`);
process.exit(total.failures > 0 ? 1 : 0);
