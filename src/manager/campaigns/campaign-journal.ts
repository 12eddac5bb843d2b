// The campaign's journal: the answers of its durable steps (its looks, the runs it makes, what it
// saves), recorded in its own table on the campaigns' connection. A replay after a crash gets the
// recorded answers back, in the order the workflow's code asks for them, as a run's journal does.
//
// Why not DBOS's own steps: each costs about eight statements on DBOS's connections (the workflow's
// status, the step's row, a transaction to record it), and those connections are the ones a wave of
// runs starting queues on. A campaign's turn took three such steps; on a busy manager they were most of
// the time between a run's end and its device's successor starting. Here a step costs one statement.
// The workflow stays DBOS's: its recovery, its patches and its messages are unchanged.
import { Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import type { CampaignStepRecords } from '../store/campaign-steps.ts';
import type { StepRecord } from '../store/step-records.ts';
import { retried } from '../procedure/run-journal.ts';

/** A step's answer found at its place was recorded by a step of another name: the campaign's code changed under a recorded campaign. */
export class CampaignStepMismatchError extends Error {
  override name = 'CampaignStepMismatchError';
  constructor(campaignId: string, seq: number, expected: string, found: string) {
    super(`campaign ${campaignId}: step ${seq} is ${expected} in this manager's campaign workflow but ${found} in the campaign's record`);
  }
}

export class CampaignJournal {
  private taken = 0;

  private constructor(
    private readonly records: Pick<CampaignStepRecords, 'write'>,
    private readonly campaignId: string,
    private readonly recorded: Map<number, StepRecord>,
  ) {}

  /** The journal of an execution of the campaign's workflow, with the answers recorded by the executions before it. */
  static async open(records: Pick<CampaignStepRecords, 'of' | 'write'>, campaignId: string): Promise<CampaignJournal> {
    return new CampaignJournal(records, campaignId, await retried(() => records.of(campaignId)));
  }

  /**
   * Runs the step, or gives back its recorded answer. `work` gets the step's key, which what it
   * writes carries, so that a step run again after a crash writes nothing twice. Places are taken
   * before any await, so the order of the workflow's calls fixes them. `retries`: tried again on an
   * error (database steps).
   */
  async step<Result>(name: string, work: (key: string) => Promise<Result>, options: { retries: boolean }): Promise<Result> {
    const seq = ++this.taken;
    const found = this.recorded.get(seq);
    if (found) {
      if (found.name !== name) throw new CampaignStepMismatchError(this.campaignId, seq, name, found.name);
      return found.output as Result;
    }
    const key = `journal:${seq}`;
    const output = await (options.retries ? retried(() => work(key)) : work(key));
    // Go on from the answer as it is recorded (JSON), as a replay will.
    const answer: unknown = output === undefined ? null : JSON.parse(JSON.stringify(output));
    const stands = await retried(() => this.records.write(this.campaignId, seq, { name, output: answer }));
    // Another execution of this campaign answered this place otherwise: it goes on, this one stops.
    if (!stands) throw new DBOSErrors.DBOSWorkflowConflictError(this.campaignId);
    return answer as Result;
  }
}
