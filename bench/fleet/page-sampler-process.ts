// The page sampler's own process (page-sampler.ts): asks for the page every `intervalMs` until told
// to stop, and sends each timing (with the page) or failure to the bench.
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerApi } from './api.ts';
import type { PageSample } from './page-sampler.ts';

export interface SamplerSetup {
  url: string;
  token: string;
  path: string;
  /** Asked right after each page: a request the manager answers without the database. */
  baselinePath?: string;
  intervalMs: number;
  timeoutMs: number;
}

export type SamplerMessage = { kind: 'sample'; sample: PageSample; text: string } | { kind: 'failure'; failure: string };

const send = (message: SamplerMessage) => process.send!(message);

/** The loop, once the bench has sent the setup; it ends when the bench says stop (or goes away). */
async function sample(setup: SamplerSetup): Promise<void> {
  const api = new ManagerApi(setup.url, setup.token);
  let stopped = false;
  process.on('message', () => {
    stopped = true;
  });
  process.on('disconnect', () => {
    stopped = true;
  });
  // A process's first request loads its HTTP client and opens the connection: made once, untimed, so
  // that the first sample times the manager and not this process's start. Not the page: the page's own
  // first answer is timed like every other.
  await api.timedGet(setup.baselinePath ?? '/openapi.json', setup.timeoutMs).catch(() => undefined);
  while (!stopped) {
    const started = Date.now();
    try {
      const response = await api.timedGet(setup.path, setup.timeoutMs);
      if (response.status !== 200) throw new Error(`HTTP ${response.status} ${response.text.slice(0, 200)}`);
      const baseline = setup.baselinePath === undefined ? undefined : await api.timedGet(setup.baselinePath, setup.timeoutMs);
      if (baseline && baseline.status !== 200) throw new Error(`${setup.baselinePath}: HTTP ${baseline.status} ${baseline.text.slice(0, 200)}`);
      send({ kind: 'sample', sample: { at: started, ms: response.ms, bytes: response.bytes, baselineMs: baseline?.ms }, text: response.text });
    } catch (error) {
      send({ kind: 'failure', failure: (error as Error).message });
    }
    await sleep(Math.max(0, started + setup.intervalMs - Date.now()));
  }
  process.disconnect();
}

process.once('message', (setup: SamplerSetup) => void sample(setup));
