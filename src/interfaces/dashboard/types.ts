// What the dashboard reads from the API, as JSON. Runs and devices are the manager's records; campaigns
// are read loosely (normalizeCampaign) so the page shows what the campaign API gives without failing on
// a field it does not know.
import type { DecisionJson, DeviceJson, RunDetailJson, RunEventJson, RunJson } from '../cli/api-types.ts';
import type { CampaignChanged, RunChanged } from '../../manager/live-events.ts';

export type { DecisionJson, DeviceJson, RunDetailJson, RunEventJson, RunJson, CampaignChanged, RunChanged };
export type RunState = RunJson['state'];
export type Counters = Record<string, number>;

export interface Wave {
  index: number;
  size: number;
  state: string;
  counters: Counters;
}

export interface CampaignDevice {
  deviceId: number;
  name: string;
  wave: number | null;
  runId: string | null;
  state: string;
  phase: string | null;
  progress: number | null;
  lastEvent: string | null;
  lastEventAt: string | null;
  cause: string | null;
}

export interface Campaign {
  id: string;
  name: string;
  state: string;
  image: string;
  wave: number | null;
  waves: Wave[];
  counters: Counters;
  total: number;
  createdAt: string | null;
  /** The wave an operator must approve before it starts, if any. */
  awaitingApproval: number | null;
  devices: CampaignDevice[];
}

type Loose = Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const obj = (value: unknown): Loose => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function counters(value: unknown): Counters {
  return Object.fromEntries(Object.entries(obj(value)).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

function device(value: unknown): CampaignDevice {
  const d = obj(value);
  const nested = obj(d.device);
  const run = obj(d.run);
  const last = d.lastEvent;
  const lastObj = obj(last);
  return {
    deviceId: num(d.deviceId) ?? num(nested.id) ?? -1,
    name: str(d.deviceName) ?? str(d.name) ?? str(nested.name) ?? `device ${str(d.deviceId) ?? '?'}`,
    wave: num(d.wave) ?? num(d.waveIndex),
    runId: str(d.runId) ?? str(run.id),
    state: str(d.state) ?? str(d.status) ?? str(run.state) ?? 'pending',
    phase: str(d.phase) ?? str(run.phase),
    progress: num(d.progress),
    lastEvent: typeof last === 'string' ? last : str(lastObj.message),
    lastEventAt: str(d.lastEventAt) ?? str(lastObj.at),
    cause: str(d.failureCause) ?? str(d.cause) ?? str(d.failCause) ?? str(d.reason),
  };
}

function wave(value: unknown, index: number): Wave {
  const w = obj(value);
  const c = counters(w.counters);
  return {
    index: num(w.index) ?? index,
    size: num(w.size) ?? num(w.devices) ?? arr(w.devices).length ?? Object.values(c).reduce((a, b) => a + b, 0),
    state: str(w.state) ?? 'pending',
    counters: c,
  };
}

function tallyStates(devices: CampaignDevice[]): Counters {
  const tally: Counters = {};
  for (const d of devices) tally[d.state] = (tally[d.state] ?? 0) + 1;
  return tally;
}

export function normalizeCampaign(value: unknown): Campaign {
  const c = obj(value);
  const body = Object.keys(obj(c.campaign)).length > 0 ? { ...obj(c.campaign), ...c } : c;
  const image = obj(body.image);
  const devices = arr(body.devices).map(device);
  const waves = arr(body.waves).map(wave).map((w) => (Object.keys(w.counters).length > 0 ? w : { ...w, counters: tallyStates(devices.filter((d) => d.wave === w.index)) }));
  const total = num(body.total) ?? num(body.deviceCount) ?? (devices.length || waves.reduce((sum, w) => sum + w.size, 0));
  return {
    id: str(body.id) ?? str(body.campaignId) ?? '?',
    name: str(body.name) ?? str(body.id) ?? 'campaign',
    state: str(body.state) ?? 'unknown',
    image: str(image.version) ?? str(body.imageVersion) ?? str(body.version) ?? (str(body.image) ?? str(body.imageSha256) ?? '').slice(0, 12),
    wave: num(body.wave) ?? num(body.currentWave),
    waves,
    counters: Object.keys(counters(body.counters)).length > 0 ? counters(body.counters) : tallyStates(devices),
    total,
    createdAt: str(body.createdAt),
    awaitingApproval: num(body.awaitingApproval) ?? num(body.approvalWave) ?? (str(body.state) === 'awaitingApproval' ? (num(body.wave) ?? num(body.currentWave)) : null),
    devices,
  };
}
