// Every campaign with its state, the wave under way and its counters.
import { CampaignActions } from '../components/campaign-actions.tsx';
import { Badge, Counts, Failure, Loading, Panel, StackedBar, TableHead } from '../components/ui.tsx';
import { ago, words } from '../format.ts';
import { useApi, useTick } from '../hooks.ts';
import { doneOf, stageName, totalOf, type CampaignJson } from '../types.ts';

function waveCell(c: CampaignJson): string {
  const waves = c.stages.filter((s) => s.kind === 'wave').length;
  if (!c.stage) return waves ? `${waves} waves` : '—';
  return c.stage.kind === 'wave' ? `${c.stage.number} / ${waves}` : stageName(c.stage);
}

export function CampaignsPage() {
  useTick();
  const list = useApi<CampaignJson[]>('/api/campaigns', { campaignChanged: () => true }, 1000);
  if (!list.data) return list.error ? <Failure error={list.error} /> : <Loading />;
  const campaigns = list.data;
  return (
    <div class="page">
      <Panel title={`Campaigns (${campaigns.length})`}>
        <table class="table" data-testid="campaigns">
          <TableHead columns={['Campaign', 'State', 'Version', 'Wave', ['Progress', 'w-bar'], 'Devices', 'Created', ['Actions', 'right']]} />
          <tbody>
            {campaigns.map((c) => {
              const total = totalOf(c.counters);
              return (
                <tr key={c.id} data-campaign={c.id}>
                  <td>
                    <a href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</a>
                    <div class="muted mono small">{c.id}</div>
                  </td>
                  <td>
                    <Badge state={c.state} />
                    {c.pauseCause && <div class="muted small">by {words(c.pauseCause)}</div>}
                  </td>
                  <td class="mono">{c.imageVersion}</td>
                  <td class="nowrap">{waveCell(c)}</td>
                  <td>
                    <StackedBar counters={c.counters} total={total} />
                    <div class="muted small">
                      {doneOf(c.counters)} of {total} done
                    </div>
                  </td>
                  <td>
                    <Counts counters={c.counters} />
                  </td>
                  <td class="muted nowrap">{ago(c.createdAt)}</td>
                  <td class="right actions">
                    <CampaignActions campaign={c} onDone={list.reload} />
                  </td>
                </tr>
              );
            })}
            {campaigns.length === 0 && (
              <tr>
                <td colSpan={8} class="muted pad">
                  No campaigns yet. Start one with <code>safeflash campaign create</code>.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
