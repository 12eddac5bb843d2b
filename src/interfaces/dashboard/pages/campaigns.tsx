// Every campaign with its state, wave under way and counters.
import { CampaignActions } from '../components/campaign-actions.tsx';
import { Badge, Counts, Failure, Loading, Panel, StackedBar } from '../components/ui.tsx';
import { ago } from '../format.ts';
import { useApi, useTick } from '../hooks.ts';
import { normalizeCampaign } from '../types.ts';

export function CampaignsPage() {
  useTick();
  const list = useApi<unknown[]>('/api/campaigns', { campaignChanged: () => true, runChanged: (e) => e.progress === undefined }, 1000);
  if (!list.data) return list.error ? <Failure error={list.error} /> : <Loading />;
  const campaigns = list.data.map(normalizeCampaign);
  return (
    <div class="page">
      <Panel title={`Campaigns (${campaigns.length})`}>
        <table class="table" data-testid="campaigns">
          <thead>
            <tr>
              <th>Campaign</th>
              <th>State</th>
              <th>Image</th>
              <th>Wave</th>
              <th class="w-bar">Devices</th>
              <th>Counters</th>
              <th>Created</th>
              <th class="right">Actions</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id}>
                <td><a href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</a></td>
                <td><Badge state={c.state} /></td>
                <td class="mono">{c.image || '—'}</td>
                <td class="nowrap">{c.waves.length > 0 ? `${Math.min((c.wave ?? 0) + 1, c.waves.length)} / ${c.waves.length}` : '—'}</td>
                <td><StackedBar counters={c.counters} total={c.total} /></td>
                <td><Counts counters={c.counters} /></td>
                <td class="muted nowrap">{ago(c.createdAt)}</td>
                <td class="right actions"><CampaignActions campaign={c} onDone={list.reload} /></td>
              </tr>
            ))}
            {campaigns.length === 0 && (
              <tr>
                <td colSpan={8} class="muted pad">No campaigns yet. Start one with <code>safeflash campaign create</code>.</td>
              </tr>
            )}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
