// One run: where it stands, its phases, and its timeline (every phase, notification, retry, decision),
// with the operator's decision buttons while it waits and a cancel button while it is active.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { ActionButton } from '../components/actions.tsx';
import { Badge, Failure, Loading, Panel, Progress, Stat, TableHead } from '../components/ui.tsx';
import { ago, clock, duration, words } from '../format.ts';
import { useApi, useLive, useTick } from '../hooks.ts';
import type { RunDetailJson, RunEventJson } from '../types.ts';
import { api } from '../api.ts';
import type { CheckReport, CheckRound } from '../../../manager/procedure/checks.ts';
import type { RunConfigurations } from '../../../manager/run-configurations.ts';

const upgradePhases = ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify'] as const;

function phaseStatus(phase: string, timeline: RunEventJson[], current: string, final: boolean): string {
  const events = timeline.filter((e) => e.phase === phase);
  if (events.some((e) => e.kind === 'phaseSucceeded')) return 'verified';
  if (phase === current && !final) return 'running';
  if (events.some((e) => e.kind === 'phaseFailed')) return 'failed';
  return events.length > 0 ? 'running' : 'idle';
}

function eventTone(event: RunEventJson): string {
  if (event.kind === 'phaseFailed' || event.kind === 'revert') return 'failed';
  if (event.kind === 'phaseSucceeded') return 'verified';
  if (event.kind === 'checks' || event.kind === 'activationDeferred') return event.cause ? 'failed' : 'verified';
  if (
    event.kind === 'staged' ||
    event.kind === 'waitingIdle' ||
    event.kind === 'askedOperator' ||
    event.kind === 'decision' ||
    event.kind === 'cancelRequested' ||
    event.kind === 'cancelled'
  )
    return 'waiting';
  if (event.kind === 'retryScheduled' || event.kind === 'pollingFallback') return 'rolledBack';
  if (event.kind === 'runEnded') return event.cause ?? 'idle';
  return 'idle';
}

function CancelButton({ runId, path, onDone }: { runId: string; path: string; onDone: () => void }) {
  return (
    <ActionButton
      label="Cancel run"
      kind="danger"
      testId="cancel-run"
      question={
        <>
          Cancel {runId}? It stops at its next safe point: an operation already under way finishes, nothing new starts. Before the upgrade nothing on the device
          has changed; after it, the device is rolled back to its previous software and configuration.
        </>
      }
      path={path}
      onDone={onDone}
    />
  );
}

const roundTitles: Record<CheckRound, string> = { beforeChanges: 'Before changes', beforeActivation: 'Before activation', afterUpgrade: 'After upgrade' };

/** The run's pre-checks and post-checks: a row per check, a column per round. */
function ChecksPanel({ report }: { report: CheckReport }) {
  return (
    <Panel title="Checks">
      <table class="table" data-testid="checks">
        <TableHead columns={['Check', ...report.rounds.map((round) => roundTitles[round])]} />
        <tbody>
          {report.rows.map((row) => (
            <tr key={row.name}>
              <td class="mono">{row.name}</td>
              {report.rounds.map((round) => {
                const found = row.verdicts[round];
                return (
                  <td key={round}>
                    {found && (
                      <>
                        <Badge state={found.verdict} /> <span class="muted">{found.message}</span>
                      </>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

const diffTitles = { original: 'original backup', restored: 'restored', readBack: 'read back' } as const;

/** The run's configurations and their diffs, read when the operator opens them. */
function ConfigurationPanel({ runId }: { runId: string }) {
  const [shown, setShown] = useState<RunConfigurations | undefined>();
  const [error, setError] = useState<string | undefined>();
  const open = async () => {
    try {
      setShown(await api.get<RunConfigurations>(`/api/runs/${encodeURIComponent(runId)}/configurations`));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <Panel title="Configuration">
      {!shown && (
        <button type="button" class="btn plain" data-testid="open-config-diff" onClick={open}>
          Show configuration diff
        </button>
      )}
      {error && <div class="error-line">{error}</div>}
      {shown && (
        <div data-testid="config-diff">
          <div class="muted">
            original {shown.original ? `${shown.original.sha256.slice(0, 12)} (format ${shown.original.configFormat})` : 'none'} · restored{' '}
            {shown.restored ? `${shown.restored.sha256.slice(0, 12)} (${shown.restored.kind}, format ${shown.restored.configFormat})` : 'none'} · read back{' '}
            {shown.readBack.configDigest
              ? `${shown.readBack.configDigest.slice(0, 12)}${shown.readBack.matches ? `: the ${shown.readBack.matches}` : ''}`
              : 'not yet'}
          </div>
          {shown.diffs.length === 0 && <div class="muted">No differences: the original configuration was restored as it was.</div>}
          {shown.diffs.map((diff) => (
            <div key={`${diff.from}-${diff.to}`}>
              <h4>
                {diffTitles[diff.from]} → {diffTitles[diff.to]}
              </h4>
              <pre class="diff">
                {diff.lines.map((line, i) => (
                  <div key={i} class={`diff-${line.op}`}>
                    {{ same: ' ', removed: '-', added: '+' }[line.op]}
                    {line.text}
                  </div>
                ))}
              </pre>
            </div>
          ))}
        </div>
      )}
    </Panel>
  );
}

/** Which software the device runs at the run's end, in words: a verified run's is the new one, verified. */
function runningSoftware(outcome: RunDetailJson['run']['outcome']): string {
  if (!outcome) return '';
  if (outcome.state === 'verified') return outcome.keptNewSoftware ? 'new software, verified' : 'software unchanged';
  if (outcome.state === 'upToDate') return 'already the image';
  return outcome.keptNewSoftware ? 'new software kept' : 'previous software';
}

export function RunPage() {
  useTick();
  const { params } = useRoute();
  const id = params.run ?? '';
  const detail = useApi<RunDetailJson>(`/api/runs/${encodeURIComponent(id)}`, { runChanged: (e) => e.runId === id && e.progress === undefined }, 300);
  const [progress, setProgress] = useState<number | null>(null);
  useLive('runChanged', (event) => {
    if (event.runId === id && event.progress !== undefined) setProgress(event.progress);
  });

  if (!detail.data) return detail.error ? <Failure error={detail.error} /> : <Loading />;
  const { run, device, timeline, decisions, counts } = detail.data;
  const final = run.outcome !== null;
  const shownProgress = final ? (run.state === 'verified' ? 100 : null) : (progress ?? detail.data.progress);
  const phases = run.kind === 'backup' ? ['preflight', 'backup'] : [...upgradePhases, ...(timeline.some((e) => e.phase === 'rollback') ? ['rollback'] : [])];
  const question = [...timeline].reverse().find((e) => e.kind === 'askedOperator');
  const decisionPath = `/api/runs/${encodeURIComponent(run.id)}/decision`;
  const cancelPath = `/api/runs/${encodeURIComponent(run.id)}/cancel`;
  const cancelAsked = run.cancelRequestedBy !== null && !final;
  const image = [...timeline].reverse().find((e) => e.kind === 'phaseStarted' && e.detail.image)?.detail.image as { version: string } | undefined;
  const first = timeline[0]?.at ?? run.createdAt;
  const lastStaged = timeline.findIndex((e, i) => e.kind === 'staged' && !timeline.slice(i + 1).some((later) => later.kind === 'staged'));
  const deferred = timeline
    .slice(0, lastStaged)
    .reverse()
    .find((e) => e.kind === 'activationDeferred');

  return (
    <div class="page">
      <div class="title-row">
        <div>
          <div class="crumbs">
            <a href="/">Fleet</a> / runs /
          </div>
          <h1>
            <span class="mono">{run.id}</span> <Badge state={run.state} />
          </h1>
          <div class="muted">
            {run.kind} of {device ? <b>{device.name}</b> : `device ${run.deviceId}`} {device && <span class="mono">({device.address})</span>}
            {run.imageSha256 && (
              <>
                {' '}
                to image{' '}
                <span class="mono" data-testid="run-image">
                  {image ? `${image.version} ` : ''}({run.imageSha256.slice(0, 12)})
                </span>
              </>
            )}{' '}
            · started by {run.startedBy} · {ago(run.createdAt)}
            {run.options && (
              <>
                {' '}
                · over {run.options.transport.toUpperCase()}
                {run.options.reinstall ? ' · reinstall' : ''}
              </>
            )}
          </div>
        </div>
        {run.state === 'staged' && !cancelAsked && (
          <div class="actions" data-testid="run-actions">
            <ActionButton
              label="Activate"
              kind="primary"
              testId="activate-run"
              question={<>Activate {run.id}? The device is checked again, then reboots into its new software; its configuration is restored and verified.</>}
              path={`/api/runs/${encodeURIComponent(run.id)}/activate`}
              onDone={detail.reload}
            />
            <ActionButton
              label="Abort"
              kind="danger"
              testId="abort-run"
              question={<>Abort {run.id}? The device keeps the software it runs; the staged image stays in its inactive bank, not marked for boot.</>}
              path={decisionPath}
              body={{ answer: 'abort' }}
              onDone={detail.reload}
            />
          </div>
        )}
        {!final && !cancelAsked && run.state !== 'waiting' && run.state !== 'staged' && (
          <div class="actions" data-testid="run-actions">
            <CancelButton runId={run.id} path={cancelPath} onDone={detail.reload} />
          </div>
        )}
        {run.state === 'waiting' && !cancelAsked && (
          <div class="actions" data-testid="run-actions">
            <ActionButton
              label="Retry"
              kind="primary"
              testId="retry"
              question={
                <>
                  Retry the {run.phase} phase of {run.id}?
                </>
              }
              path={decisionPath}
              body={{ answer: 'retry' }}
              onDone={detail.reload}
            />
            {run.kind === 'upgrade' && ['migrate', 'restore', 'verify'].includes(run.phase) && (
              <ActionButton
                label="Keep new software"
                question={<>End {run.id} keeping the new software as it is now, without rolling back?</>}
                path={decisionPath}
                body={{ answer: 'keepNewSoftware' }}
                onDone={detail.reload}
              />
            )}
            <ActionButton
              label="Abort"
              kind="danger"
              testId="abort-run"
              question={<>Abort {run.id}? The device is rolled back to its previous software and configuration.</>}
              path={decisionPath}
              body={{ answer: 'abort' }}
              onDone={detail.reload}
            />
            <CancelButton runId={run.id} path={cancelPath} onDone={detail.reload} />
          </div>
        )}
      </div>

      {cancelAsked && (
        <div class="banner ask" data-testid="cancel-asked">
          <b>Cancel asked</b> by {run.cancelRequestedBy} {ago(run.cancelRequestedAt)}: the run stops at its next safe point, then ends with nothing changed or
          rolls the device back.
        </div>
      )}

      {run.state === 'waiting' && question && (
        <div class="banner ask">
          <b>Waiting for an operator:</b> {question.message}
          {question.cause && <span class="muted"> ({words(question.cause)})</span>}
        </div>
      )}
      {run.state === 'staged' && (
        <div class="banner ask" data-testid="staged-banner">
          <b>Staged:</b> {[...timeline].reverse().find((e) => e.kind === 'staged')?.message}
          {deferred && <div class="muted">Last activation: {deferred.message}</div>}
        </div>
      )}
      {run.outcome && <div class={`banner ${run.outcome.state === 'verified' ? 'good' : 'bad'}`}>{run.outcome.summary}</div>}

      <div class="stats">
        <Stat label="Phase" value={words(run.phase)} />
        <Stat label="Progress" value={shownProgress === null ? '—' : `${shownProgress}%`} sub={<Progress value={shownProgress} state={run.state} />} />
        <Stat
          label="Running version"
          value={<span class="mono">{run.outcome?.runningVersion ?? device?.runningVersion ?? '—'}</span>}
          sub={runningSoftware(run.outcome)}
        />
        <Stat
          label="Duration"
          value={duration(first, final ? run.updatedAt : new Date().toISOString())}
          sub={`${timeline.length} events · ${counts.retries} retries · ${counts.reverts} reverts · ${decisions.length} decisions`}
        />
      </div>

      <div class="phases">
        {phases.map((phase) => {
          const status = phaseStatus(phase, timeline, run.phase, final);
          return (
            <div class={`phase ${status}`} key={phase}>
              <span class="dot" />
              {words(phase)}
            </div>
          );
        })}
      </div>

      {detail.data.checks.rows.length > 0 && <ChecksPanel report={detail.data.checks} />}
      {run.kind === 'upgrade' && <ConfigurationPanel runId={run.id} />}

      <Panel title="Timeline">
        <table class="table timeline" data-testid="timeline">
          <TableHead columns={['Time', '+', 'Phase', 'Event', 'Actor', 'Message', 'Cause']} />
          <tbody>
            {timeline.map((event) => (
              <tr key={event.id} class={`tl ${eventTone(event)}`}>
                <td class="mono nowrap">{clock(event.at)}</td>
                <td class="mono muted nowrap">{duration(first, event.at)}</td>
                <td>
                  <span class="chip">{words(event.phase)}</span>
                </td>
                <td class="nowrap">
                  <span class={`kind ${eventTone(event)}`}>{words(event.kind)}</span>
                </td>
                <td class="muted nowrap">{event.actor}</td>
                <td>{event.message}</td>
                <td class={eventTone(event) === 'failed' || event.cause === 'failed' || event.cause === 'rolledBack' ? 'cause' : 'muted'}>
                  {event.cause ? words(event.cause) : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
