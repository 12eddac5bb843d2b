// One campaign: its waves and a row per device (phase, progress, last event, failure cause), moving live.
import { useRoute } from 'preact-iso';
import { CampaignActions } from '../components/campaign-actions.tsx';
import { Badge, Counts, Failure, Loading, Panel, Progress, StackedBar, Stat } from '../components/ui.tsx';
import { ago, words } from '../format.ts';
import { useApi, useLive, useTick } from '../hooks.ts';
import { normalizeCampaign, type Campaign, type CampaignDevice } from '../types.ts';

const activeRun = new Set(['running', 'waiting']);

function DeviceRow({ device }: { device: CampaignDevice }) {
  const running = activeRun.has(device.state);
  return (
    <tr data-device={device.name} data-state={device.state}>
      <td>{device.name}</td>
      <td class="muted">{device.wave === null ? '—' : device.wave + 1}</td>
      <td><Badge state={device.state} /></td>
      <td>{device.phase ? words(device.phase) : '—'}</td>
      <td>
        <Progress value={device.state === 'verified' ? 100 : device.progress} state={device.state} />
      </td>
      <td class="last-event" title={device.lastEvent ?? ''}>
        <span>{device.lastEvent ?? '—'}</span>
        {device.lastEventAt && <span class="muted"> · {ago(device.lastEventAt)}</span>}
      </td>
      <td class={device.cause ? 'cause' : 'muted'}>{device.cause ? words(device.cause) : '—'}</td>
      <td>{device.runId ? <a class="mono" href={`/runs/${device.runId}`}>{device.runId}</a> : <span class="muted">{running ? '…' : 'not started'}</span>}</td>
    </tr>
  );
}

export function CampaignPage() {
  useTick();
  const { params } = useRoute();
  const id = params.campaign ?? '';
  const resource = useApi<unknown>(`/api/campaigns/${encodeURIComponent(id)}`, {
    campaignChanged: (e) => e.campaignId === id,
  });
  const campaign: Campaign | undefined = resource.data === undefined ? undefined : normalizeCampaign(resource.data);
  const deviceIds = new Set(campaign?.devices.map((d) => d.deviceId));

  useLive('runChanged', (event) => {
    if (!deviceIds.has(event.deviceId)) return;
    const row = campaign?.devices.find((d) => d.deviceId === event.deviceId);
    // A run the page does not know yet: re-read, to learn which campaign row it belongs to.
    if (row && row.runId !== event.runId) {
      resource.reload();
      return;
    }
    resource.patch((data) => {
      const body = data as { devices?: unknown[] };
      if (!Array.isArray(body.devices)) return data;
      return {
        ...body,
        devices: body.devices.map((raw) => {
          const d = raw as Record<string, unknown>;
          const match = d.deviceId === event.deviceId || (d.device as { id?: number } | undefined)?.id === event.deviceId;
          if (!match) return raw;
          return {
            ...d,
            runId: event.runId,
            state: event.state,
            phase: event.phase,
            ...(event.progress !== undefined ? { progress: event.progress } : {}),
            ...(event.lastEvent ? { lastEvent: event.lastEvent.message, lastEventAt: event.lastEvent.at } : {}),
            ...(event.lastEvent?.cause && event.state !== 'running' && event.state !== 'verified' ? { failureCause: event.lastEvent.cause } : {}),
          };
        }),
      };
    });
  });

  if (!campaign) return resource.error ? <Failure error={resource.error} /> : <Loading />;
  const done = campaign.devices.filter((d) => ['verified', 'failed', 'rolledBack', 'aborted'].includes(d.state)).length;
  const failures = campaign.devices.filter((d) => ['failed', 'rolledBack', 'aborted'].includes(d.state)).length;
  const running = campaign.devices.filter((d) => activeRun.has(d.state)).length;
  const total = campaign.total || campaign.devices.length;

  return (
    <div class="page">
      <div class="title-row">
        <div>
          <div class="crumbs"><a href="/campaigns">Campaigns</a> /</div>
          <h1>
            {campaign.name} <Badge state={campaign.state} />
          </h1>
          <div class="muted">
            {campaign.image && <>image <span class="mono">{campaign.image}</span> · </>}
            {total} devices · created {ago(campaign.createdAt)}
          </div>
        </div>
        <div class="actions" data-testid="campaign-actions">
          <CampaignActions campaign={campaign} onDone={resource.reload} />
        </div>
      </div>

      {campaign.awaitingApproval !== null && (
        <div class="banner ask">Wave {campaign.awaitingApproval + 1} waits for an operator's approval.</div>
      )}

      <div class="stats">
        <Stat label="Done" value={`${done} / ${total}`} sub={<StackedBar counters={campaign.counters} total={total} />} />
        <Stat label="Running" value={running} state={running > 0 ? 'running' : ''} />
        <Stat label="Failures" value={failures} state={failures > 0 ? 'failed' : ''} sub="failed, rolled back or aborted" />
        <Stat label="Wave" value={campaign.waves.length ? `${Math.min((campaign.wave ?? 0) + 1, campaign.waves.length)} / ${campaign.waves.length}` : '—'} />
      </div>

      {campaign.waves.length > 0 && (
        <div class="waves" data-testid="waves">
          {campaign.waves.map((wave) => (
            <div class={`wave ${wave.index === campaign.wave ? 'current' : ''}`} key={wave.index} data-wave={wave.index} data-state={wave.state}>
              <div class="wave-head">
                <b>Wave {wave.index + 1}</b>
                <Badge state={wave.state} />
              </div>
              <StackedBar counters={wave.counters} total={wave.size} />
              <div class="wave-foot">
                <span class="muted">{wave.size} devices</span>
                <Counts counters={wave.counters} />
              </div>
            </div>
          ))}
        </div>
      )}

      <Panel title={<>Devices <Counts counters={campaign.counters} /></>}>
        <table class="table" data-testid="campaign-devices">
          <thead>
            <tr>
              <th>Device</th>
              <th>Wave</th>
              <th>State</th>
              <th>Phase</th>
              <th class="w-progress">Progress</th>
              <th>Last event</th>
              <th>Failure cause</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {campaign.devices.map((device) => (
              <DeviceRow device={device} key={device.deviceId} />
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
