// The run workflows as the procedure registered them with DBOS, found by their registered names, so
// that a run can be started here exactly as Procedure.startRun starts it: the same workflow function,
// the run ID as workflow ID and as the one argument. DBOS finds workflows by name the same way when it
// recovers them at launch; the registry it keeps for that is reached through the package's "internal"
// export.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { getFunctionRegistrationByName } from '@dbos-inc/dbos-sdk/internal/decorators';
import type { RunKind } from '../store/records.ts';

/** The names procedure.ts registers its workflows under, one per kind of run. */
export const runWorkflowNames: Record<RunKind, string> = {
  upgrade: 'safeflash.upgradeRun',
  backup: 'safeflash.backupRun',
};

type RunWorkflow = (runId: string) => Promise<unknown>;

/** Workflows registered without a class live under the empty class name. */
const noClass = '';

function runWorkflow(kind: RunKind): RunWorkflow {
  const name = runWorkflowNames[kind];
  let registration;
  try {
    registration = getFunctionRegistrationByName(noClass, name);
  } catch {
    registration = undefined;
  }
  const workflow = registration?.wrappedFunction ?? registration?.registeredFunction;
  if (typeof workflow !== 'function') throw new Error(`no workflow "${name}" is registered: registerProcedure must run before DBOS.launch`);
  return workflow as RunWorkflow;
}

/**
 * Starts the run's workflow under the run's ID. Starting an ID that already exists starts nothing: DBOS
 * inserts the workflow's row with ON CONFLICT on the ID and only the transaction that created the row
 * executes it; every other caller (a second call here, another manager, startRun itself) gets a handle
 * to the existing workflow. That is DBOS's default ('return-existing'), named here so it stays so.
 */
export async function startRunWorkflow(run: { id: string; kind: RunKind }): Promise<void> {
  await DBOS.startWorkflow(runWorkflow(run.kind), { workflowID: run.id, workflowIDReusePolicy: 'return-existing' })(run.id);
}
