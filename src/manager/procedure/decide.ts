// An operator's decision for a parked run: a waiting run's retry, abort or keepNewSoftware, a staged
// run's activate or abort. Checked (the run waits for it, the image or configuration fits the phase and
// the device), recorded with who and when, then sent to the run as a durable wake-up.
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { BackupStore } from '../store/backups.ts';
import type { ImageStore } from '../store/images.ts';
import type { Actor, DecisionAnswer, DecisionRecord } from '../store/records.ts';
import type { RunStore } from '../store/runs.ts';
import { acceptsSupplied, answersOf, canKeepNewSoftware, decisionAnswers, isDecisionAnswer } from './decisions.ts';
import { DecisionError, isOperator, NotWaitingError } from './errors.ts';
import { operatorTopic } from './messages.ts';

export interface DecisionRequest {
  answer: DecisionAnswer;
  actor: Actor;
  /** A corrected image (a run waiting in the upgrade phase). */
  imageSha256?: string;
  /** An edited configuration the manager holds (a run waiting in migrate, restore or verify). */
  backupSha256?: string;
}

export interface DecisionStores {
  runs: RunStore;
  images: ImageStore;
  backups: BackupStore;
}

export async function decide(stores: DecisionStores, runId: string, request: DecisionRequest): Promise<DecisionRecord> {
  if (!isDecisionAnswer(request.answer))
    throw new DecisionError('badAnswer', `answer must be ${decisionAnswers.join(', ')}, got ${JSON.stringify(request.answer)}`);
  // A campaign's policy activates its staged runs inside its windows; every other answer is an operator's.
  if (!isOperator(request.actor) && !(request.answer === 'activate' && request.actor === 'policy'))
    throw new DecisionError('badActor', `a decision is an operator's: actor must be "operator:<name>", got ${JSON.stringify(request.actor)}`);
  const run = await stores.runs.get(runId);
  if (!run) throw new DecisionError('unknownRun', `no run ${runId}`);
  if (run.state !== 'waiting' && run.state !== 'staged') {
    const what = request.answer === 'activate' ? 'staged: there is nothing to activate' : 'waiting for a decision';
    throw new NotWaitingError(`run ${runId} is not ${what} (it is ${run.state}, in ${run.phase})`);
  }
  const parkedAs = run.state;
  if (!answersOf(parkedAs).includes(request.answer)) {
    const why = parkedAs === 'staged' ? 'is staged: it takes activate or abort' : 'waits for a decision on a failure: activate is for staged runs';
    throw new DecisionError('notHere', `run ${runId} ${why}`);
  }
  if (request.answer !== 'retry' && (request.imageSha256 || request.backupSha256)) {
    throw new DecisionError('notHere', 'an image or a configuration goes with retry only');
  }
  if (request.answer === 'keepNewSoftware' && !canKeepNewSoftware(run.phase)) {
    throw new DecisionError('notHere', `run ${runId} waits in ${run.phase}: the new software does not run yet, so there is none to keep`);
  }
  if (request.imageSha256) {
    if (!acceptsSupplied(run.phase, 'image'))
      throw new DecisionError('notHere', `run ${runId} waits in ${run.phase}: a corrected image goes with the upgrade phase only`);
    const image = await stores.images.get(request.imageSha256);
    if (!image) throw new DecisionError('unknownImage', `no image ${request.imageSha256} in the image store`);
    const current = run.imageSha256 ? await stores.images.get(run.imageSha256) : undefined;
    if (current && image.model !== current.model)
      throw new DecisionError('wrongModel', `image ${image.version} is for ${image.model}, the device is a ${current.model}`);
  }
  if (request.backupSha256) {
    if (!acceptsSupplied(run.phase, 'config')) {
      throw new DecisionError('notHere', `run ${runId} waits in ${run.phase}: an edited configuration goes with migrate, restore or verify only`);
    }
    const config = await stores.backups.get(request.backupSha256);
    if (!config || config.deviceId !== run.deviceId) throw new DecisionError('unknownConfig', `no configuration ${request.backupSha256} of this device`);
  }
  const decision = await stores.runs.addDecision(
    runId,
    { actor: request.actor, answer: request.answer, imageSha256: request.imageSha256 ?? null, backupSha256: request.backupSha256 ?? null },
    parkedAs,
  );
  if (!decision) throw new NotWaitingError(`run ${runId} is no longer ${parkedAs}: another answer came first`);
  await DBOS.send(runId, { decisionId: decision.id }, operatorTopic, `decision:${decision.id}`);
  return decision;
}
