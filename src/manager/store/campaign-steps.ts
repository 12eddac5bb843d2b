// The campaign_steps table: one row per durable step a campaign took, with the step's answer (plain
// JSON). Rows are only ever added; the first row written at a place in a campaign is the one that
// counts, so two executions of one campaign (a manager taken over while it still ran) go on alike.
import type pg from 'pg';
import type { StepRecord } from './step-records.ts';

export class CampaignStepRecords {
  constructor(private readonly pool: pg.Pool) {}

  /** Every step the campaign has recorded, by its place (1, 2, …). */
  async of(campaignId: string): Promise<Map<number, StepRecord>> {
    const result = await this.pool.query<{ seq: number; name: string; output: unknown }>(
      'SELECT seq, name, output FROM safeflash.campaign_steps WHERE campaign_id = $1',
      [campaignId],
    );
    return new Map(result.rows.map((row) => [row.seq, { name: row.name, output: row.output }]));
  }

  /**
   * Writes the step's answer at its place, unless one is there already. True when the answer that
   * stands is this one: written now, or the same written by another execution.
   */
  async write(campaignId: string, seq: number, step: StepRecord): Promise<boolean> {
    const output = JSON.stringify(step.output ?? null);
    const result = await this.pool.query<{ stands: boolean }>(
      `WITH added AS (
         INSERT INTO safeflash.campaign_steps (campaign_id, seq, name, output) VALUES ($1, $2, $3, $4::text::json)
         ON CONFLICT DO NOTHING RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM added)
           OR EXISTS (SELECT 1 FROM safeflash.campaign_steps WHERE campaign_id = $1 AND seq = $2 AND name = $3 AND output::text = $4::text) AS stands`,
      [campaignId, seq, step.name, output],
    );
    return result.rows[0]?.stands ?? false;
  }
}
