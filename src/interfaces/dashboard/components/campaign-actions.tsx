// A campaign's operator buttons, each shown only when the campaign's state allows it.
import { stageName, finalCampaignStates, type CampaignJson } from '../types.ts';
import { ActionButton } from './actions.tsx';

export function CampaignActions({ campaign, onDone }: { campaign: CampaignJson; onDone: () => void }) {
  if (finalCampaignStates.includes(campaign.state) || campaign.state === 'aborting') return null;
  const base = `/api/campaigns/${encodeURIComponent(campaign.id)}`;
  const stage = campaign.stage;
  return (
    <>
      {campaign.state === 'awaitingApproval' && stage && (
        <ActionButton
          label={`Approve ${stageName(stage).toLowerCase()}`}
          kind="primary"
          testId="approve"
          question={
            <>
              Start {stageName(stage).toLowerCase()} of <b>{campaign.name}</b> ({stage.size} devices)?
            </>
          }
          path={`${base}/approve`}
          // The wave seen on screen: a late click must not approve the one after it.
          body={{ wave: stage.number }}
          onDone={onDone}
        />
      )}
      {campaign.state === 'paused' ? (
        <ActionButton
          label="Resume"
          kind="primary"
          testId="resume"
          question={
            <>
              Resume <b>{campaign.name}</b>? New runs start again, within its window and limits.
            </>
          }
          path={`${base}/resume`}
          onDone={onDone}
        />
      ) : (
        <ActionButton
          label="Pause"
          testId="pause"
          question={
            <>
              Pause <b>{campaign.name}</b>? No new run starts; runs under way carry on to their end.
            </>
          }
          path={`${base}/pause`}
          onDone={onDone}
        />
      )}
      <ActionButton
        label="Abort"
        kind="danger"
        testId="abort"
        question={
          <>
            Abort <b>{campaign.name}</b>? No new run starts; each run under way reaches a safe end (it completes or rolls back). This cannot be undone.
          </>
        }
        path={`${base}/abort`}
        onDone={onDone}
      />
    </>
  );
}
