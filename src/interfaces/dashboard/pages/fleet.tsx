// The fleet at a glance: how many devices run which software, what their runs are doing, who waits for
// an operator, and every device with its latest run.
import { useState } from 'preact/hooks';
import { ActionButton } from '../components/actions.tsx';
import { Badge, Counts, Failure, Loading, Panel, Progress, StackedBar, Stat, TableHead } from '../components/ui.tsx';
import { ago, words } from '../format.ts';
import { useApi, useLive, useTick } from '../hooks.ts';
import { finalCampaignStates, totalOf, type CampaignJson, type DeviceJson, type RunJson } from '../types.ts';

function latestRunPerDevice(runs: RunJson[]): Map<number, RunJson> {
  const latest = new Map<number, RunJson>();
  // Runs come newest first: the first seen per device is its latest.
  for (const run of runs) if (!latest.has(run.deviceId)) latest.set(run.deviceId, run);
  return latest;
}

function tally<T>(items: T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

/** A run's first cells in the fleet's tables: its link, then its device. */
function RunCells({ run, names }: { run: RunJson; names: Map<number, string> }) {
  return (
    <>
      <td>
        <a href={`/runs/${run.id}`} class="mono">
          {run.id}
        </a>
      </td>
      <td>{names.get(run.deviceId) ?? run.deviceId}</td>
    </>
  );
}

export function FleetPage() {
  useTick();
  const devices = useApi<DeviceJson[]>(
    '/api/devices',
    { deviceChanged: () => true, runChanged: (e) => e.state !== 'running' && e.progress === undefined },
    1000,
  );
  const runs = useApi<RunJson[]>('/api/runs', { runChanged: (e) => e.progress === undefined }, 1000);
  const campaigns = useApi<CampaignJson[]>('/api/campaigns', { campaignChanged: () => true }, 1000);
  const [progress, setProgress] = useState<Record<string, number>>({});
  useLive('runChanged', (event) => {
    if (event.progress !== undefined) setProgress((current) => ({ ...current, [event.runId]: event.progress! }));
    runs.patch((list) => list.map((run) => (run.id === event.runId ? { ...run, state: event.state, phase: event.phase } : run)));
  });

  if (!devices.data || !runs.data) return <>{devices.error || runs.error ? <Failure error={devices.error ?? runs.error} /> : <Loading />}</>;
  const latest = latestRunPerDevice(runs.data);
  const stateOf = (device: DeviceJson) => latest.get(device.id)?.state ?? 'idle';
  const byState = Object.fromEntries(tally(devices.data, stateOf));
  const byVersion = tally(devices.data, (d) => d.runningVersion ?? 'unknown');
  const byModel = tally(devices.data, (d) => d.model ?? 'unknown');
  const waiting = runs.data.filter((run) => run.state === 'waiting');
  const staged = runs.data.filter((run) => run.state === 'staged');
  const campaignList = campaigns.data ?? [];
  const activeCampaigns = campaignList.filter((c) => !finalCampaignStates.includes(c.state));
  const names = new Map(devices.data.map((d) => [d.id, d.name]));
  const total = devices.data.length;

  return (
    <div class="page">
      <div class="stats">
        <Stat label="Devices" value={total} sub={byModel.map(([m, n]) => `${n} ${m}`).join(' · ') || 'none yet'} />
        <Stat label="Upgrading now" value={byState.running ?? 0} state="running" sub="runs in progress" />
        <Stat label="Waiting for operator" value={byState.waiting ?? 0} state={(byState.waiting ?? 0) > 0 ? 'waiting' : ''} sub="runs that ask" />
        <Stat label="Staged" value={staged.length} state={staged.length > 0 ? 'staged' : ''} sub="new software waits, unmarked" />
        <Stat
          label="Verified"
          value={(byState.verified ?? 0) + (byState.upToDate ?? 0)}
          state="verified"
          sub={`last run verified · ${byState.upToDate ?? 0} already up to date`}
        />
        <Stat
          label="Failed / rolled back"
          value={(byState.failed ?? 0) + (byState.rolledBack ?? 0) + (byState.aborted ?? 0)}
          state={(byState.failed ?? 0) > 0 ? 'failed' : ''}
          sub={`${byState.rolledBack ?? 0} rolled back · ${byState.aborted ?? 0} aborted`}
        />
        <Stat label="Active campaigns" value={activeCampaigns.length} sub={`${campaignList.length} in all`} />
      </div>

      <div class="grid two">
        <Panel title="Software versions">
          <div class="bars">
            {byVersion.map(([version, n]) => (
              <div class="bar-row" key={version}>
                <span class="bar-name mono">{version}</span>
                <div class="bar-track">
                  <div class="bar-fill" style={{ width: `${(n / Math.max(total, 1)) * 100}%` }} />
                </div>
                <span class="bar-count">{n}</span>
                <span class="bar-pct muted">{Math.round((n / Math.max(total, 1)) * 100)}%</span>
              </div>
            ))}
            {byVersion.length === 0 && <div class="muted">No devices in the inventory.</div>}
          </div>
        </Panel>
        <Panel title="Device states (latest run)">
          <StackedBar counters={byState} total={total} />
          <div class="legend">
            <Counts counters={byState} />
          </div>
          {activeCampaigns.length > 0 && (
            <div class="mini-list">
              {activeCampaigns.map((c) => (
                <a class="mini-row" href={`/campaigns/${encodeURIComponent(c.id)}`} key={c.id}>
                  <span>{c.name}</span>
                  <Badge state={c.state} />
                  <span class="grow">
                    <StackedBar counters={c.counters} total={totalOf(c.counters)} />
                  </span>
                </a>
              ))}
            </div>
          )}
        </Panel>
      </div>

      {waiting.length > 0 && (
        <Panel title={`Waiting for an operator (${waiting.length})`} class="attention">
          <table class="table">
            <TableHead columns={['Run', 'Device', 'Phase', 'Since', ['Decision', 'right']]} />
            <tbody>
              {waiting.map((run) => (
                <tr key={run.id}>
                  <RunCells run={run} names={names} />
                  <td>{words(run.phase)}</td>
                  <td class="muted">{ago(run.updatedAt)}</td>
                  <td class="right actions">
                    <ActionButton
                      label="Retry"
                      kind="primary"
                      question={
                        <>
                          Retry the {run.phase} phase of {run.id}?
                        </>
                      }
                      path={`/api/runs/${run.id}/decision`}
                      body={{ answer: 'retry' }}
                      onDone={runs.reload}
                    />
                    <ActionButton
                      label="Abort"
                      kind="danger"
                      question={<>Abort {run.id}? The device is rolled back to its previous software and configuration.</>}
                      path={`/api/runs/${run.id}/decision`}
                      body={{ answer: 'abort' }}
                      onDone={runs.reload}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}

      {staged.length > 0 && (
        <Panel title={`Staged, waiting for activation (${staged.length})`} class="attention">
          <div class="muted">
            The new software waits in each device's inactive bank, not marked for boot; the devices run their software as before until activated. Activating
            checks each device again, then boots the new software, restores and verifies.
          </div>
          <div class="actions">
            <ActionButton
              label={`Activate all ${staged.length}`}
              kind="primary"
              testId="activate-all"
              question={<>Activate the {staged.length} staged runs now? Each device reboots into its new software.</>}
              path={staged.map((run) => `/api/runs/${run.id}/activate`)}
              onDone={runs.reload}
            />
          </div>
          <table class="table" data-testid="staged">
            <TableHead columns={['Run', 'Device', 'Staged', ['Activation', 'right']]} />
            <tbody>
              {staged.map((run) => (
                <tr key={run.id}>
                  <RunCells run={run} names={names} />
                  <td class="muted">{ago(run.updatedAt)}</td>
                  <td class="right actions">
                    <ActionButton
                      label="Activate"
                      kind="primary"
                      testId={`activate-${run.id}`}
                      question={<>Activate {run.id}? The device reboots into its new software.</>}
                      path={`/api/runs/${run.id}/activate`}
                      onDone={runs.reload}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}

      <Panel title={`Devices (${total})`}>
        <table class="table" data-testid="devices">
          <TableHead columns={['Device', 'Address', 'Family', 'Model', 'Version', 'Bank', 'Latest run', 'Phase', ['Progress', 'w-progress'], 'Seen']} />
          <tbody>
            {devices.data.map((device) => {
              const run = latest.get(device.id);
              return (
                <tr key={device.id}>
                  <td>{device.name}</td>
                  <td class="mono muted">
                    {device.address}:{device.port}
                  </td>
                  <td>{device.family}</td>
                  <td>{device.model ?? '—'}</td>
                  <td class="mono">{device.runningVersion ?? '—'}</td>
                  <td class="muted">{device.activeBank ?? '—'}</td>
                  <td>
                    {run ? (
                      <a href={`/runs/${run.id}`}>
                        <Badge state={run.state} />
                      </a>
                    ) : (
                      <span class="muted">none</span>
                    )}
                  </td>
                  <td>{run ? words(run.phase) : ''}</td>
                  <td>
                    {run && (run.state === 'running' || run.state === 'waiting') ? <Progress value={progress[run.id] ?? null} state={run.state} /> : null}
                  </td>
                  <td class="muted">{ago(device.lastSeenAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
