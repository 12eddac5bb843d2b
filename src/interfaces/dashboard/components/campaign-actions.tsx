// A campaign's operator buttons, each shown only when it applies to the campaign's state.
import type { Campaign } from '../types.ts';
import { ActionButton } from './actions.tsx';

const finalStates = new Set(['completed', 'aborted', 'failed', 'done']);

export function CampaignActions({ campaign, onDone }: { campaign: Campaign; onDone: () => void }) {
  const base = `/api/campaigns/${encodeURIComponent(campaign.id)}`;
  const approvable = campaign.awaitingApproval !== null || campaign.state === 'awaitingApproval';
  const wave = (campaign.awaitingApproval ?? campaign.wave ?? 0) + 1;
  if (finalStates.has(campaign.state)) return null;
  return (
    <>
      {approvable && (
        <ActionButton label={`Approve wave ${wave}`} kind="primary" testId="approve" question={<>Start wave {wave} of <b>{campaign.name}</b>?</>} path={`${base}/approve`} onDone={onDone} />
      )}
      {campaign.state === 'paused' ? (
        <ActionButton label="Resume" kind="primary" testId="resume" question={<>Resume <b>{campaign.name}</b>? New runs start again, within its window and limits.</>} path={`${base}/resume`} onDone={onDone} />
      ) : (
        <ActionButton label="Pause" testId="pause" question={<>Pause <b>{campaign.name}</b>? No new run starts; runs under way finish.</>} path={`${base}/pause`} onDone={onDone} />
      )}
      <ActionButton
        label="Abort"
        kind="danger"
        testId="abort"
        question={<>Abort <b>{campaign.name}</b>? No new run starts; each run under way reaches a safe end (it completes or reverts). This cannot be undone.</>}
        path={`${base}/abort`}
        onDone={onDone}
      />
    </>
  );
}
