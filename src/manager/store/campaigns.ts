// Campaigns, their devices and their events. The campaign's workflow is the only writer of a campaign
// once it exists; what it writes from a durable step carries the step's key, so a step replayed after
// a crash writes nothing twice. Events are only ever added: time, kind, cause and actor of every change.
import { inTransaction } from './transaction.ts';
import type pg from 'pg';
import type { Actor } from './records.ts';
import type { CampaignDevice, CampaignDeviceState, CampaignEventDraft, CampaignPlan, CampaignState, Counters, Stage } from '../campaigns/model.ts';
import type { CampaignSettings } from '../campaigns/settings.ts';

/** The channel on which a campaign's wakes reach the manager that runs it (campaigns/campaign-signals.ts). */
export const campaignChannel = 'safeflash_campaign';

export interface CampaignRecord {
  id: string;
  name: string;
  imageSha256: string;
  imageVersion: string;
  settings: CampaignSettings;
  selector: Record<string, unknown>;
  state: CampaignState;
  /** Why it is paused: 'operator' or 'threshold'. */
  pauseCause: string | null;
  /** The stage (wave or retry round) under way; null once ended. */
  stage: Stage | null;
  stages: Stage[];
  counters: Partial<Counters>;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface CampaignDeviceRecord extends Omit<CampaignDevice, 'startedAt'> {
  /** When its latest run started, by the campaign's clock. */
  startedAt: Date | null;
  updatedAt: Date;
  /** The run's own state and phase, when it has one. */
  run: { state: string; phase: string } | null;
}

export interface CampaignEvent {
  id: number;
  campaignId: string;
  at: Date;
  kind: string;
  actor: Actor;
  cause: string | null;
  message: string;
  detail: Record<string, unknown>;
}

export interface CampaignProgress {
  state: CampaignState;
  pauseCause: string | null;
  stage: Stage | null;
  stages: Stage[];
  counters: Counters;
}

/**
 * Per stage, how many of a campaign's devices are in each state ({"0": {"verified": 3, …}, …}), for the
 * campaign named by the SQL expression `campaignId`. Kept in the campaign's row by every statement that
 * changes its devices, so that a page of a campaign of 10,000 devices reads one row instead of counting them.
 */
export const stageCountersOf = (campaignId: string) =>
  `(SELECT coalesce(jsonb_object_agg(stage, states), '{}') FROM (
      SELECT stage, jsonb_object_agg(state, devices) AS states FROM (
        SELECT stage, state, count(*)::integer AS devices FROM safeflash.campaign_devices
         WHERE campaign_id = ${campaignId} AND stage IS NOT NULL GROUP BY stage, state) AS counted
       GROUP BY stage) AS staged)`;

interface CampaignRow {
  id: string;
  name: string;
  image_sha256: string;
  image_version: string;
  settings: CampaignSettings;
  selector: Record<string, unknown>;
  state: CampaignState;
  pause_cause: string | null;
  stage: number | null;
  stages: Stage[];
  counters: Partial<Counters>;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const campaignColumns =
  'id, name, image_sha256, image_version, settings, selector, state, pause_cause, stage, stages, counters, created_by, created_at, updated_at';

function toCampaign(row: CampaignRow): CampaignRecord {
  return {
    id: row.id,
    name: row.name,
    imageSha256: row.image_sha256,
    imageVersion: row.image_version,
    settings: row.settings,
    selector: row.selector,
    state: row.state,
    pauseCause: row.pause_cause,
    stage: row.stage === null ? null : (row.stages[row.stage] ?? null),
    stages: row.stages,
    counters: row.counters,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

interface DeviceRow {
  device_id: number;
  name: string;
  wave: number | null;
  stage: number | null;
  state: CampaignDeviceState;
  attempts: number;
  run_id: string | null;
  cause: string | null;
  message: string | null;
  started_at: Date | null;
  updated_at: Date;
  run_state: string | null;
  run_phase: string | null;
}

interface EventRow {
  /** bigserial, a number in PostgreSQL's JSON */
  id: number;
  campaign_id: string;
  at: Date;
  kind: string;
  actor: Actor;
  cause: string | null;
  message: string;
  detail: Record<string, unknown>;
}

/** A row as PostgreSQL's JSON gives it: timestamps as text. */
type Json<Row> = { [K in keyof Row]: Row[K] extends Date ? string : Row[K] extends Date | null ? string | null : Row[K] };

/** The row with its timestamps (given by name) read back into Dates. */
function withDates<Row, K extends keyof Row>(row: Json<Row>, ...keys: K[]): Row {
  const revived: Record<string, unknown> = { ...row };
  for (const key of keys) {
    const value = revived[key as string];
    if (typeof value === 'string') revived[key as string] = new Date(value);
  }
  return revived as Row;
}

function toDevice(row: DeviceRow): CampaignDeviceRecord {
  return {
    deviceId: row.device_id,
    name: row.name,
    wave: row.wave,
    stage: row.stage,
    state: row.state,
    attempts: row.attempts,
    runId: row.run_id,
    cause: row.cause,
    message: row.message,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    run: row.run_state ? { state: row.run_state, phase: row.run_phase! } : null,
  };
}

function toEvent(row: EventRow): CampaignEvent {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    cause: row.cause,
    message: row.message,
    detail: row.detail,
  };
}

/** What a campaign's page shows (CampaignStore.page). */
export interface CampaignPageRecord {
  campaign: CampaignRecord;
  stageCounts: Array<{ stage: number | null; state: CampaignDeviceState; devices: number }>;
  devices: CampaignDeviceRecord[];
  events: CampaignEvent[];
}

export class CampaignStore {
  constructor(private readonly pool: pg.Pool) {}

  async nextId(): Promise<string> {
    const result = await this.pool.query<{ n: string }>(`SELECT nextval('safeflash.campaign_numbers') AS n`);
    return `campaign-${result.rows[0]!.n}`;
  }

  /** Writes the campaign and its devices as planned; a second call for the same campaign writes nothing. */
  async create(plan: CampaignPlan, counters: Counters): Promise<void> {
    await this.transaction(async (db) => {
      const inserted = await db.query(
        `INSERT INTO safeflash.campaigns (id, name, image_sha256, image_version, settings, selector, state, stage, stages, counters, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [
          plan.campaignId,
          plan.name,
          plan.imageSha256,
          plan.imageVersion,
          JSON.stringify(plan.settings),
          JSON.stringify(plan.selector),
          plan.waves.length > 0 ? 0 : null,
          JSON.stringify(plan.waves),
          JSON.stringify(counters),
          plan.createdBy,
        ],
      );
      if ((inserted.rowCount ?? 0) === 0) return;
      // One statement for the lot: a campaign may hold thousands of devices.
      await db.query(
        `INSERT INTO safeflash.campaign_devices (campaign_id, device_id, name, wave, stage, state, cause, message)
         SELECT $1, d.device_id, d.name, d.wave, d.wave, CASE WHEN d.skip IS NULL THEN 'pending' ELSE 'skipped' END,
                CASE WHEN d.skip IS NULL THEN NULL ELSE 'alreadyCurrent' END, d.skip
           FROM jsonb_to_recordset($2::jsonb) AS d(device_id integer, name text, wave integer, skip text)`,
        [plan.campaignId, JSON.stringify(plan.devices.map((d) => ({ device_id: d.deviceId, name: d.name, wave: d.wave, skip: d.skip ?? null })))],
      );
      await db.query(`UPDATE safeflash.campaigns SET stage_counters = ${stageCountersOf('$1')} WHERE id = $1`, [plan.campaignId]);
    });
  }

  async get(id: string): Promise<CampaignRecord | undefined> {
    const result = await this.pool.query<CampaignRow>(`SELECT ${campaignColumns} FROM safeflash.campaigns WHERE id = $1`, [id]);
    return result.rows[0] ? toCampaign(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(limit = 100): Promise<CampaignRecord[]> {
    const result = await this.pool.query<CampaignRow>(`SELECT ${campaignColumns} FROM safeflash.campaigns ORDER BY created_at DESC, id DESC LIMIT $1`, [limit]);
    return result.rows.map(toCampaign);
  }

  /**
   * The campaign as its page shows it, in one statement (one round trip, however busy the database):
   * the campaign, how many of its devices are in each state per stage, its devices in their order with
   * their runs' state (all, or `page`), and its events in order (all, or the `events` most recent).
   */
  async page(id: string, page?: { offset: number; limit: number; events?: number }): Promise<CampaignPageRecord | undefined> {
    // The page's device rows are picked first, then joined to their runs: joined before the limit,
    // every device's run was read for a page of 100.
    const result = await this.pool.query<{
      campaign: Json<CampaignRow> | null;
      counts: Array<{ stage: number | null; state: CampaignDeviceState; devices: number }>;
      devices: Json<DeviceRow>[];
      events: Json<EventRow>[];
    }>(
      `SELECT (SELECT to_json(c) FROM (SELECT ${campaignColumns} FROM safeflash.campaigns WHERE id = $1) AS c) AS campaign,
              (SELECT coalesce(json_agg(s), '[]') FROM (
                 SELECT stage.key::integer AS stage, state.key AS state, state.value::integer AS devices
                   FROM safeflash.campaigns c, jsonb_each(c.stage_counters) AS stage, jsonb_each_text(stage.value) AS state
                  WHERE c.id = $1) AS s) AS counts,
              (SELECT coalesce(json_agg(d ORDER BY d.wave NULLS LAST, d.device_id), '[]') FROM (
                 SELECT c.device_id, c.name, c.wave, c.stage, c.state, c.attempts, c.run_id, c.cause, c.message, c.started_at, c.updated_at,
                        r.state AS run_state, r.phase AS run_phase
                   FROM (SELECT * FROM safeflash.campaign_devices WHERE campaign_id = $1 ORDER BY wave NULLS LAST, device_id OFFSET $2 LIMIT $3) AS c
                   LEFT JOIN safeflash.runs r ON r.id = c.run_id) AS d) AS devices,
              (SELECT coalesce(json_agg(e ORDER BY e.id), '[]') FROM (
                 SELECT id, campaign_id, at, kind, actor, cause, message, detail FROM safeflash.campaign_events
                  WHERE campaign_id = $1 ORDER BY id DESC LIMIT $4) AS e) AS events`,
      [id, page?.offset ?? 0, page?.limit ?? null, page?.events ?? null],
    );
    const row = result.rows[0]!;
    if (!row.campaign) return undefined;
    return {
      campaign: toCampaign(withDates(row.campaign, 'created_at', 'updated_at')),
      stageCounts: row.counts,
      devices: row.devices.map((device) => toDevice(withDates(device, 'started_at', 'updated_at'))),
      events: row.events.map((event) => toEvent(withDates(event, 'at'))),
    };
  }

  /**
   * Marks a wake as on its way to the campaign, and sends it (NOTIFY on campaignChannel, at commit) to
   * whichever manager runs the campaign. False when one is already, sent since its last look: that look
   * is still to come, and it will see every run that ended before it.
   */
  async markWakePending(campaignId: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE safeflash.campaigns SET wake_pending = true WHERE id = $1 AND NOT wake_pending RETURNING pg_notify('${campaignChannel}', id)`,
      [campaignId],
    );
    return result.rowCount === 1;
  }

  /** Marks an operator's request as waiting among the campaign's messages, and wakes the campaign. */
  async markControlsPending(campaignId: string): Promise<void> {
    await this.pool.query(
      `UPDATE safeflash.campaigns SET controls_pending = true, wake_pending = true WHERE id = $1 RETURNING pg_notify('${campaignChannel}', id)`,
      [campaignId],
    );
  }

  /** Whether a wake is on its way to the campaign: read when its wait has heard none for a while. */
  async wakePending(campaignId: string): Promise<boolean> {
    const result = await this.pool.query<{ wake_pending: boolean }>(`SELECT wake_pending FROM safeflash.campaigns WHERE id = $1`, [campaignId]);
    return result.rows[0]?.wake_pending ?? false;
  }

  /**
   * The campaign looks at its runs now: a run that ends from here on wakes it again. Answers whether
   * operators' requests wait among its messages; that mark stays until they are taken (controlsTaken).
   */
  async wakeTaken(campaignId: string): Promise<{ controlsPending: boolean }> {
    const result = await this.pool.query<{ controls_pending: boolean }>(
      `UPDATE safeflash.campaigns SET wake_pending = false WHERE id = $1 RETURNING controls_pending`,
      [campaignId],
    );
    return { controlsPending: result.rows[0]?.controls_pending ?? false };
  }

  /** The campaign takes the operators' requests among its messages now: one made from here on marks them again. */
  async controlsTaken(campaignId: string): Promise<void> {
    await this.pool.query(`UPDATE safeflash.campaigns SET controls_pending = false WHERE id = $1 AND controls_pending`, [campaignId]);
  }

  /** What a campaign step saw and decided, in one transaction, once per step key. */
  async save(campaignId: string, stepKey: string, progress: CampaignProgress, devices: CampaignDevice[], events: CampaignEventDraft[]): Promise<void> {
    await this.transaction(async (db) => {
      for (const [i, event] of events.entries()) {
        await db.query(
          `INSERT INTO safeflash.campaign_events (campaign_id, kind, actor, cause, message, detail, step_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (campaign_id, step_key) DO NOTHING`,
          [campaignId, event.kind, event.actor, event.cause, event.message, JSON.stringify(event.detail ?? {}), `${stepKey}:${i}`],
        );
      }
      if (devices.length > 0) {
        await db.query(
          `UPDATE safeflash.campaign_devices c SET stage = d.stage, state = d.state, attempts = d.attempts, run_id = d.run_id,
                  cause = d.cause, message = d.message, started_at = to_timestamp(d.started_at / 1000.0), updated_at = now()
             FROM jsonb_to_recordset($2::jsonb) AS d(device_id integer, stage integer, state text, attempts integer, run_id text, cause text, message text, started_at double precision)
            WHERE c.campaign_id = $1 AND c.device_id = d.device_id`,
          [
            campaignId,
            JSON.stringify(
              devices.map((d) => ({
                device_id: d.deviceId,
                stage: d.stage,
                state: d.state,
                attempts: d.attempts,
                run_id: d.runId,
                cause: d.cause,
                message: d.message,
                started_at: d.startedAt,
              })),
            ),
          ],
        );
      }
      await db.query(
        `UPDATE safeflash.campaigns SET state = $2, pause_cause = $3, stage = $4, stages = $5, counters = $6,${devices.length > 0 ? ` stage_counters = ${stageCountersOf('$1')},` : ''} updated_at = now()
          WHERE id = $1`,
        [campaignId, progress.state, progress.pauseCause, progress.stage?.index ?? null, JSON.stringify(progress.stages), JSON.stringify(progress.counters)],
      );
    });
  }

  private transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}
