// The refusals of the modules behind the manager's API, recognised by their class, and the status
// that says whose fault each is. Only the manager's API (server.ts) knows them: the front answers
// nothing these modules refuse, and does not load them.
import { BackupError } from '../../manager/files/backup-error.ts';
import { NetworkNotAllowedError } from '../../manager/inventory/allowed-networks.ts';
import { CidrError } from '../../manager/inventory/cidr.ts';
import { ImportError } from '../../manager/inventory/import-file.ts';
import { DeviceSpecError, DeviceUnreadableError } from '../../manager/inventory/inventory.ts';
import { CancelError, DecisionError, NotWaitingError, RunRequestError } from '../../manager/procedure/errors.ts';
import { PolicyError } from '../../manager/procedure/policy.ts';
import { DeviceConflictError, DeviceInUseError } from '../../manager/store/devices.ts';
import { ActiveRunError } from '../../manager/store/runs.ts';
import { ConfigError } from '../../protocol/config/text.ts';
import { ImageError } from '../../protocol/image/error.ts';
import { problemRefusal, type ErrorBody, type Refusal } from './errors.ts';

const statusByErrorClass: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, number]> = [
  [DeviceSpecError, 400],
  [CidrError, 400],
  [NetworkNotAllowedError, 400],
  [ImportError, 400],
  [ConfigError, 400],
  [PolicyError, 400],
  [DeviceConflictError, 409],
  [DeviceInUseError, 409],
  [NotWaitingError, 409],
  [ActiveRunError, 409],
  [ImageError, 422],
  [BackupError, 422],
  [DeviceUnreadableError, 502],
];

/** Refusals of the procedure carry a `problem`; it says whose fault it is. */
const statusByProblem: Record<string, number> = {
  unknownDevice: 404,
  unknownImage: 404,
  unknownRun: 404,
  unknownConfig: 404,
  badPolicy: 400,
  badOptions: 400,
  badActor: 400,
  badAnswer: 400,
  wrongModel: 422,
  activeRun: 409,
  notHere: 409,
  ended: 409,
};

function statusOf(error: Error): number | undefined {
  if (error instanceof RunRequestError || error instanceof DecisionError || error instanceof CancelError) return statusByProblem[error.problem] ?? 400;
  return statusByErrorClass.find(([type]) => error instanceof type)?.[1];
}

/**
 * How the manager's API answers an error it knows (a refusal by a route or by the modules behind it):
 * its status and body. Undefined for anything else, which is the manager's own fault.
 */
export function refusal(error: Error): Refusal | undefined {
  const problem = problemRefusal(error);
  if (problem) return problem;
  const known = statusOf(error);
  if (known === undefined) return undefined;
  const body: ErrorBody = { error: error.message };
  const problems = (error as { problems?: unknown }).problems;
  if (Array.isArray(problems)) body.problems = problems.map(String);
  const reason = (error as { reason?: unknown; problem?: unknown }).reason ?? (error as { problem?: unknown }).problem;
  if (typeof reason === 'string') body.reason = reason;
  return { status: known, body };
}
