// DBOS's own recovery, for another manager's workflows. DBOS.launch() recovers only the workflows of
// its own executor ID; the executor underneath can put any executor's pending workflows back in line
// (on DBOS's recovery queue, which every manager of the same application version serves), which is
// how DBOS's conductor recovers a dead process. This is the one place that reaches under DBOS's API.
import { DBOSExecutor } from '@dbos-inc/dbos-sdk/internal/dbos-executor';

/** Puts the pending workflows of `executorId` back in line for any manager; how many there were. */
export async function recoverWorkflowsOf(executorId: string): Promise<number> {
  const executor = DBOSExecutor.globalInstance;
  if (executor === undefined) throw new Error('workflows cannot be recovered before DBOS is launched');
  const handles = await executor.recoverPendingWorkflows([executorId]);
  return handles.length;
}
