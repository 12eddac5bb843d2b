// One campaign: its waves and a row per device (phase, progress, last event, failure cause), moving
// live: run changes update rows in place, campaign changes re-read the campaign.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { CampaignActions } from '../components/campaign-actions.tsx';
import { Badge, Counts, Failure, Loading, Panel, Progress, StackedBar, Stat, TableHead } from '../components/ui.tsx';
import { ago, clock, words } from '../format.ts';
import { useApi, useLive, useTick } from '../hooks.ts';
import { doneOf, stageName, totalOf, type CampaignDetailJson, type CampaignDeviceJson, type RunChanged } from '../types.ts';

/** What live run changes told us since the campaign was read, by run. */
type RunOverlay = Record<string, { state: string; phase: string; progress?: number; lastEvent?: string; at?: string; cause?: string | null }>;

const upgraded = new Set(['verified', 'recovered']);
const failedStates = new Set(['failed', 'unreachable']);

function DeviceRow({ device, live }: { device: CampaignDeviceJson; live: RunOverlay[string] | undefined }) {
  const runState = live?.state ?? device.run?.state ?? null;
  const phase = live?.phase ?? device.run?.phase ?? null;
  const active = device.state === 'running' || device.state === 'waiting';
  // While its run is under way, the run's own state (running, waiting) is the device's.
  const state = active && runState && (runState === 'running' || runState === 'waiting') ? runState : device.state;
  const progress = upgraded.has(device.state) ? 100 : active ? (live?.progress ?? null) : null;
  const message = live?.lastEvent ?? device.message;
  const at = live?.at ?? device.updatedAt;
  // A cause explains a device that did not simply upgrade; an upgraded one's "cause" is its success.
  const explains = !upgraded.has(device.state) || device.state === 'recovered';
  const cause = explains ? (device.cause ?? (live?.cause && !active ? live.cause : null)) : null;
  return (
    <tr data-device={device.name} data-state={state}>
      <td>{device.name}</td>
      <td class="muted">{device.wave === null ? '—' : device.wave + 1}</td>
      <td>
        <Badge state={state} />
        {device.attempts > 1 && <span class="muted small"> ×{device.attempts}</span>}
      </td>
      <td>{phase && device.runId ? words(phase) : '—'}</td>
      <td>{device.runId || upgraded.has(device.state) ? <Progress value={progress} state={state} /> : null}</td>
      <td class="last-event" title={message ?? ''}>
        {message ? <span>{message}</span> : <span class="muted">—</span>}
        {message && at && <span class="muted"> · {ago(at)}</span>}
      </td>
      <td class={cause && (failedStates.has(device.state) || device.state === 'offline') ? 'cause' : cause ? '' : 'muted'}>{cause ? words(cause) : '—'}</td>
      <td class="nowrap">
        {device.runId ? (
          <a class="mono" href={`/runs/${device.runId}`}>
            {device.runId}
          </a>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
    </tr>
  );
}

export function CampaignPage() {
  useTick();
  const { params } = useRoute();
  const id = params.campaign ?? '';
  const detail = useApi<CampaignDetailJson>(`/api/campaigns/${encodeURIComponent(id)}`, { campaignChanged: (e) => e.campaignId === id }, 300);
  const [overlay, setOverlay] = useState<RunOverlay>({});
  const runIds = new Set(detail.data?.devices.map((d) => d.runId).filter(Boolean));
  const deviceIds = new Set(detail.data?.devices.map((d) => d.deviceId));

  useLive('runChanged', (event: RunChanged) => {
    if (!deviceIds.has(event.deviceId)) return;
    // A run the page does not know yet (just started by the campaign): re-read to place it.
    if (!runIds.has(event.runId)) detail.reload();
    setOverlay((current) => {
      const before = current[event.runId];
      return {
        ...current,
        [event.runId]: {
          state: event.state,
          phase: event.phase,
          ...(event.progress !== undefined
            ? { progress: event.progress }
            : before?.progress !== undefined && before.phase === event.phase
              ? { progress: before.progress }
              : {}),
          ...(event.lastEvent
            ? { lastEvent: event.lastEvent.message, at: event.lastEvent.at, cause: event.lastEvent.cause }
            : before?.lastEvent
              ? { lastEvent: before.lastEvent, at: before.at!, cause: before.cause ?? null }
              : {}),
        },
      };
    });
  });

  if (!detail.data) return detail.error ? <Failure error={detail.error} /> : <Loading />;
  const { campaign, waves, devices, events } = detail.data;
  const total = totalOf(campaign.counters);
  const done = doneOf(campaign.counters);
  const failures = (campaign.counters.failed ?? 0) + (campaign.counters.unreachable ?? 0);
  const running = (campaign.counters.running ?? 0) + (campaign.counters.waiting ?? 0);
  const waveCount = waves.filter((w) => w.kind === 'wave').length;
  const settings = campaign.settings as unknown as Record<string, unknown>;

  return (
    <div class="page">
      <div class="title-row">
        <div>
          <div class="crumbs">
            <a href="/campaigns">Campaigns</a> / <span class="mono">{campaign.id}</span>
          </div>
          <h1>
            {campaign.name} <Badge state={campaign.state} />
          </h1>
          <div class="muted">
            to <span class="mono">{campaign.imageVersion}</span> · {total} devices · {waveCount} waves
            {settings.maxConcurrent !== undefined && <> · at most {String(settings.maxConcurrent)} at once</>}
            {settings.approval === true && <> · approval between waves</>} · created by {campaign.createdBy} {ago(campaign.createdAt)}
          </div>
        </div>
        <div class="actions" data-testid="campaign-actions">
          <CampaignActions campaign={campaign} onDone={detail.reload} />
        </div>
      </div>

      {campaign.state === 'awaitingApproval' && campaign.stage && (
        <div class="banner ask" data-testid="approval-banner">
          <b>{stageName(campaign.stage)}</b> ({campaign.stage.size} devices) waits for an operator's approval.
        </div>
      )}
      {campaign.state === 'paused' && (
        <div class="banner bad">Paused{campaign.pauseCause ? ` by ${words(campaign.pauseCause)}` : ''}: no new run starts until it is resumed.</div>
      )}

      <div class="stats">
        <Stat label="Done" value={`${done} / ${total}`} sub={<StackedBar counters={campaign.counters} total={total} />} />
        <Stat label="Running now" value={running} state={running > 0 ? 'running' : ''} sub={`${campaign.counters.waiting ?? 0} waiting for an operator`} />
        <Stat
          label="Upgraded"
          value={(campaign.counters.verified ?? 0) + (campaign.counters.recovered ?? 0)}
          state="verified"
          sub={`${campaign.counters.recovered ?? 0} after a failure · ${campaign.counters.skipped ?? 0} skipped`}
        />
        <Stat label="Failures" value={failures} state={failures > 0 ? 'failed' : ''} sub={`${campaign.counters.offline ?? 0} offline, retried later`} />
        <Stat
          label="Stage"
          value={campaign.stage ? stageName(campaign.stage) : '—'}
          sub={campaign.stage ? `pauses at ${campaign.stage.pauseAt} failures` : 'ended'}
        />
      </div>

      <div class="waves" data-testid="waves">
        {waves.map((wave) => {
          const current = campaign.stage?.index === wave.index;
          const finished = doneOf(wave.counters) === wave.size && wave.size > 0;
          const state = current ? campaign.state : finished ? 'completed' : totalOf(wave.counters) - (wave.counters.pending ?? 0) > 0 ? 'running' : 'pending';
          return (
            <div class={`wave ${current ? 'current' : ''}`} key={wave.index} data-wave={wave.number} data-kind={wave.kind} data-state={state}>
              <div class="wave-head">
                <b>{stageName(wave)}</b>
                <Badge state={state} />
              </div>
              <StackedBar counters={wave.counters} total={wave.size} />
              <div class="wave-foot">
                <span class="muted">
                  {doneOf(wave.counters)} / {wave.size}
                </span>
                <Counts counters={wave.counters} />
              </div>
            </div>
          );
        })}
      </div>

      <div class="grid side">
        <Panel
          title={
            <>
              Devices <Counts counters={campaign.counters} />
            </>
          }
        >
          <table class="table" data-testid="campaign-devices">
            <TableHead columns={['Device', 'Wave', 'State', 'Phase', ['Progress', 'w-progress'], 'Last event', 'Failure cause', 'Run']} />
            <tbody>
              {devices.map((device) => (
                <DeviceRow device={device} live={device.runId ? overlay[device.runId] : undefined} key={device.deviceId} />
              ))}
            </tbody>
          </table>
        </Panel>
        <Panel title="Campaign events">
          <ol class="events">
            {[...events]
              .reverse()
              .slice(0, 40)
              .map((event) => (
                <li key={event.id}>
                  <span class="mono muted">{clock(event.at)}</span>
                  <span>{event.message}</span>
                  <span class="muted small">{event.actor}</span>
                </li>
              ))}
          </ol>
        </Panel>
      </div>
    </div>
  );
}
