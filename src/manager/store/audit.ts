// The operators' actions, read from what the store records anyway: runs started and cancels asked for
// (runs), answers to runs (decisions), campaigns created and steered (campaigns, campaign_events),
// tokens made and revoked (api_tokens), images uploaded (images), changes to the inventory
// (device_events, written by the statements that make them: a removed device leaves no row to read).
// One list, oldest first, for an audit export; nothing here is written, so the record of an action
// stays where the action itself is kept.
import type pg from 'pg';
import type { AuditAction } from './actions.ts';

export interface AuditTarget {
  run?: string;
  campaign?: string;
  device?: number;
  token?: number;
  image?: string;
}

export interface AuditEntry {
  at: Date;
  /** Who: operator:<name>, or the manager (a bootstrap token). */
  actor: string;
  /** What, as <thing>.<verb>. */
  action: AuditAction;
  target: AuditTarget;
  detail: Record<string, unknown>;
}

export interface AuditWindow {
  since: Date;
  until: Date;
  /** Most entries returned; the answer says when there were more. */
  limit: number;
}

interface AuditRow {
  at: Date;
  actor: string;
  action: AuditAction;
  target: AuditTarget;
  detail: Record<string, unknown>;
}

// Each part selects (at, actor, action, target, detail, source, seq) inside [$1, $2); source and seq
// order actions of the same instant the same way every time.
const parts = [
  `SELECT r.created_at AS at, r.started_by AS actor, CASE r.kind WHEN 'backup' THEN 'backup.start' ELSE 'run.start' END AS action,
          jsonb_build_object('run', r.id, 'device', r.device_id) AS target,
          jsonb_strip_nulls(jsonb_build_object('image', r.image_sha256, 'options', r.options::jsonb)) AS detail, 1 AS source, r.number AS seq
     FROM safeflash.runs r
    WHERE r.started_by LIKE 'operator:%' AND r.created_at >= $1 AND r.created_at < $2`,
  `SELECT r.cancel_requested_at, r.cancel_requested_by, 'run.cancel', jsonb_build_object('run', r.id, 'device', r.device_id), '{}'::jsonb, 2, r.number
     FROM safeflash.runs r
    WHERE r.cancel_requested_by LIKE 'operator:%' AND r.cancel_requested_at >= $1 AND r.cancel_requested_at < $2`,
  `SELECT d.at, d.actor, CASE d.answer WHEN 'activate' THEN 'run.activate' ELSE 'run.decide' END,
          jsonb_build_object('run', d.run_id, 'device', r.device_id),
          jsonb_strip_nulls(jsonb_build_object('answer', d.answer, 'image', d.image_sha256, 'configuration', d.backup_sha256)), 3, d.id
     FROM safeflash.decisions d JOIN safeflash.runs r ON r.id = d.run_id
    WHERE d.actor LIKE 'operator:%' AND d.at >= $1 AND d.at < $2`,
  `SELECT c.created_at, c.created_by, 'campaign.create', jsonb_build_object('campaign', c.id),
          jsonb_build_object('name', c.name, 'image', c.image_sha256, 'imageVersion', c.image_version), 4, 0
     FROM safeflash.campaigns c
    WHERE c.created_by LIKE 'operator:%' AND c.created_at >= $1 AND c.created_at < $2`,
  // An approval is its own event (an ignored one too: a late click); a pause, resume or abort is
  // recorded as the state change it caused, by its cause. The campaign's other events an operator's
  // action led to (its creation, its end after an abort) are not actions of their own.
  `SELECT e.at, e.actor,
          CASE
            WHEN e.kind IN ('approved', 'approvalIgnored') THEN 'campaign.approve'
            WHEN e.cause = 'pausedByOperator' THEN 'campaign.pause'
            WHEN e.cause = 'resumedByOperator' THEN 'campaign.resume'
            ELSE 'campaign.abort'
          END,
          jsonb_build_object('campaign', e.campaign_id), jsonb_build_object('message', e.message) || e.detail, 5, e.id
     FROM safeflash.campaign_events e
    WHERE e.actor LIKE 'operator:%' AND e.at >= $1 AND e.at < $2
      AND (e.kind IN ('approved', 'approvalIgnored') OR (e.kind = 'stateChanged' AND e.cause IN ('pausedByOperator', 'resumedByOperator', 'abortedByOperator')))`,
  // Tokens made before their maker was recorded say so.
  `SELECT t.created_at, coalesce(t.created_by, 'unrecorded'), 'token.create', jsonb_build_object('token', t.id),
          jsonb_build_object('name', t.name, 'role', t.role), 6, t.id
     FROM safeflash.api_tokens t
    WHERE t.created_at >= $1 AND t.created_at < $2`,
  `SELECT t.revoked_at, coalesce(t.revoked_by, 'unrecorded'), 'token.revoke', jsonb_build_object('token', t.id),
          jsonb_build_object('name', t.name, 'role', t.role), 7, t.id
     FROM safeflash.api_tokens t
    WHERE t.revoked_at >= $1 AND t.revoked_at < $2`,
  `SELECT i.added_at, i.added_by, 'image.add', jsonb_build_object('image', i.sha256),
          jsonb_strip_nulls(jsonb_build_object('model', i.model, 'version', i.version, 'family', i.family)), 8, 0
     FROM safeflash.images i
    WHERE i.added_by LIKE 'operator:%' AND i.added_at >= $1 AND i.added_at < $2`,
  // One entry per device, an import's and a discovery's too, rather than one per request with the
  // names in its detail: what an auditor asks of the inventory is about a device (when did this unit
  // come in, by whose hand, how, and when did it leave), and a per-device entry answers it by its
  // target, as a run's entries do, with the name and address it had then. The request stays visible:
  // an import's entries share their time and say how many came together, a discovery's name the block.
  `SELECT e.at, e.actor, e.action, jsonb_build_object('device', e.device_id),
          jsonb_build_object('name', e.name, 'address', host(e.address), 'port', e.port) || e.detail, 9, e.id
     FROM safeflash.device_events e
    WHERE e.at >= $1 AND e.at < $2`,
];

export class AuditLog {
  constructor(private readonly pool: pg.Pool) {}

  /** The operators' actions in the window, oldest first; `more` when the limit cut the list. */
  async entries(window: AuditWindow): Promise<{ entries: AuditEntry[]; more: boolean }> {
    const result = await this.pool.query<AuditRow>(
      `SELECT at, actor, action, target, detail FROM (${parts.join('\n UNION ALL\n')}) AS audit (at, actor, action, target, detail, source, seq)
        ORDER BY at, source, seq LIMIT $3`,
      [window.since, window.until, window.limit + 1],
    );
    const rows = result.rows.slice(0, window.limit);
    return {
      entries: rows.map((row) => ({ at: row.at, actor: row.actor, action: row.action, target: row.target, detail: row.detail })),
      more: result.rows.length > window.limit,
    };
  }
}
