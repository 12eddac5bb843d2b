// The manager's tables. Applied at start, idempotently; the durable workflows' own tables are DBOS's
// and live in the same database under its own schema.
import { stageCountersOf } from './campaigns.ts';

export const schemaStatements = [
  `CREATE SCHEMA IF NOT EXISTS safeflash`,
  `CREATE TABLE IF NOT EXISTS safeflash.devices (
     id              serial PRIMARY KEY,
     name            text NOT NULL UNIQUE,
     address         inet NOT NULL,
     port            integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
     security        jsonb NOT NULL,
     tags            text[] NOT NULL DEFAULT '{}',
     model           text,
     serial          text,
     running_version text,
     config_format   integer,
     active_bank     text,
     added_at        timestamptz NOT NULL DEFAULT now(),
     last_seen_at    timestamptz,
     UNIQUE (address, port)
   )`,
  `CREATE TABLE IF NOT EXISTS safeflash.images (
     sha256        text PRIMARY KEY,
     model         text NOT NULL,
     version       text NOT NULL,
     config_format integer NOT NULL,
     size          bigint NOT NULL,
     added_at      timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS safeflash.backups (
     sha256        text PRIMARY KEY,
     device_id     integer NOT NULL REFERENCES safeflash.devices(id),
     run_id        text,
     kind          text NOT NULL CHECK (kind IN ('backup', 'migrated', 'operator')),
     derived_from  text REFERENCES safeflash.backups(sha256),
     config_format integer NOT NULL,
     config_digest text NOT NULL,
     size          bigint NOT NULL,
     taken_at      timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS safeflash.runs (
     id            text PRIMARY KEY,
     device_id     integer NOT NULL REFERENCES safeflash.devices(id),
     image_sha256  text NOT NULL REFERENCES safeflash.images(sha256),
     policy        jsonb NOT NULL,
     state         text NOT NULL,
     phase         text NOT NULL,
     started_by    text NOT NULL,
     created_at    timestamptz NOT NULL DEFAULT now(),
     updated_at    timestamptz NOT NULL DEFAULT now(),
     outcome       jsonb
   )`,
  `CREATE INDEX IF NOT EXISTS runs_device ON safeflash.runs (device_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS safeflash.run_events (
     id        bigserial PRIMARY KEY,
     run_id    text NOT NULL REFERENCES safeflash.runs(id),
     at        timestamptz NOT NULL DEFAULT now(),
     phase     text NOT NULL,
     kind      text NOT NULL,
     actor     text NOT NULL,
     cause     text,
     message   text NOT NULL,
     detail    jsonb NOT NULL DEFAULT '{}',
     -- A step that is replayed after a crash writes its event again; the key makes that harmless.
     step_key  text,
     UNIQUE (run_id, step_key)
   )`,
  `CREATE TABLE IF NOT EXISTS safeflash.decisions (
     id            bigserial PRIMARY KEY,
     run_id        text NOT NULL REFERENCES safeflash.runs(id),
     at            timestamptz NOT NULL DEFAULT now(),
     actor         text NOT NULL,
     answer        text NOT NULL,
     image_sha256  text REFERENCES safeflash.images(sha256),
     backup_sha256 text REFERENCES safeflash.backups(sha256)
   )`,
  // Runs: upgrade runs carry an image, on-demand backup runs do not. The run number gives each run its
  // own block of operation indexes on a device (see procedure/operation-index.ts).
  `CREATE SEQUENCE IF NOT EXISTS safeflash.run_numbers`,
  `ALTER TABLE safeflash.runs ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'upgrade'`,
  `ALTER TABLE safeflash.runs ADD COLUMN IF NOT EXISTS number bigint`,
  `ALTER TABLE safeflash.runs ALTER COLUMN image_sha256 DROP NOT NULL`,
  // One unfinished run per device, whichever manager starts it: the database refuses a second. A staged
  // run holds its device too (its new software waits in the inactive bank).
  `CREATE UNIQUE INDEX IF NOT EXISTS runs_one_unfinished_per_device ON safeflash.runs (device_id) WHERE state IN ('running', 'waiting', 'staged')`,
  // The index of the days before staging, which did not count staged runs.
  `DROP INDEX IF EXISTS safeflash.runs_one_active_per_device`,
  // Decisions answer a waiting run (retry, abort, keepNewSoftware) or a staged one (activate, abort).
  `ALTER TABLE safeflash.decisions DROP CONSTRAINT IF EXISTS decisions_answer_check`,
  `DO $$ BEGIN
     ALTER TABLE safeflash.decisions ADD CONSTRAINT decisions_answer_known CHECK (answer IN ('retry', 'abort', 'keepNewSoftware', 'activate'));
   EXCEPTION WHEN duplicate_object THEN NULL;
   END $$`,
  `CREATE TABLE IF NOT EXISTS safeflash.operation_routes (
     device_id  integer NOT NULL REFERENCES safeflash.devices(id),
     op_index   bigint NOT NULL,
     run_id     text NOT NULL REFERENCES safeflash.runs(id),
     phase      text NOT NULL,
     type       text NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (device_id, op_index)
   )`,
  // Files offered to devices (read offers of images and configurations, upload names for backups),
  // kept so that a run resumed after a restart still finds the name and credentials it handed out.
  `CREATE TABLE IF NOT EXISTS safeflash.file_offers (
     protocol       text NOT NULL CHECK (protocol IN ('tftp', 'ftp')),
     file_name      text NOT NULL,
     direction      text NOT NULL CHECK (direction IN ('read', 'write')),
     server_address text NOT NULL,
     server_port    integer NOT NULL CHECK (server_port BETWEEN 1 AND 65535),
     content_kind   text CHECK (content_kind IN ('image', 'config')),
     content_sha256 text,
     username       text UNIQUE,
     password       text,
     max_bytes      bigint,
     state          text NOT NULL CHECK (state IN ('open', 'used', 'expired', 'collected', 'rejected')),
     expires_at     timestamptz NOT NULL,
     bytes          bigint,
     backup_sha256  text REFERENCES safeflash.backups(sha256),
     rejection      text,
     created_at     timestamptz NOT NULL DEFAULT now(),
     finished_at    timestamptz,
     PRIMARY KEY (protocol, file_name)
   )`,
  `CREATE INDEX IF NOT EXISTS file_offers_open ON safeflash.file_offers (server_address, server_port) WHERE state = 'open'`,
  // API tokens (store/tokens.ts): only the SHA-256 of each secret is kept. A name is held by one token
  // at a time until that token is revoked.
  `CREATE TABLE IF NOT EXISTS safeflash.api_tokens (
     id            serial PRIMARY KEY,
     name          text NOT NULL,
     role          text NOT NULL CHECK (role IN ('viewer', 'operator')),
     secret_sha256 text NOT NULL,
     created_at    timestamptz NOT NULL DEFAULT now(),
     last_used_at  timestamptz,
     revoked_at    timestamptz
   )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_active_name ON safeflash.api_tokens (name) WHERE revoked_at IS NULL`,
  // Run options (transport, time limits, reinstall), fixed at the start; a device's default transport;
  // an image's payload digest, which devices report per bank.
  `ALTER TABLE safeflash.runs ADD COLUMN IF NOT EXISTS options jsonb`,
  `ALTER TABLE safeflash.devices ADD COLUMN IF NOT EXISTS transport text CHECK (transport IN ('tftp', 'ftp'))`,
  `ALTER TABLE safeflash.images ADD COLUMN IF NOT EXISTS payload_sha256 text`,
  // An operator's request to cancel a run (procedure/cancel.ts): kept on the run, so that the run finds
  // it at its next safe point even when the manager restarted in between. The first request counts.
  `ALTER TABLE safeflash.runs ADD COLUMN IF NOT EXISTS cancel_requested_by text`,
  `ALTER TABLE safeflash.runs ADD COLUMN IF NOT EXISTS cancel_requested_at timestamptz`,
  // What each bank of a device held when it was last read (discovery, a refresh, a run): [{bank, state, version, configFormat}].
  `ALTER TABLE safeflash.devices ADD COLUMN IF NOT EXISTS banks jsonb`,
  // Devices recorded before families existed are reference IADs.
  `ALTER TABLE safeflash.devices ADD COLUMN IF NOT EXISTS family text NOT NULL DEFAULT 'safeflash'`,
  // A manifest image's family; null for the reference IAD's own images.
  `ALTER TABLE safeflash.images ADD COLUMN IF NOT EXISTS family text`,
  // Offers may serve the vendor's file a manifest image wraps.
  `ALTER TABLE safeflash.file_offers DROP CONSTRAINT IF EXISTS file_offers_content_kind_check`,
  `ALTER TABLE safeflash.file_offers ADD CONSTRAINT file_offers_content_kind_check CHECK (content_kind IN ('image', 'config', 'vendorFile'))`,
  // Campaigns, their devices and their events (store/campaigns.ts).
  `CREATE SEQUENCE IF NOT EXISTS safeflash.campaign_numbers`,
  `CREATE TABLE IF NOT EXISTS safeflash.campaigns (
     id            text PRIMARY KEY,
     name          text NOT NULL,
     image_sha256  text NOT NULL REFERENCES safeflash.images(sha256),
     image_version text NOT NULL,
     settings      jsonb NOT NULL,
     selector      jsonb NOT NULL,
     state         text NOT NULL,
     pause_cause   text,
     stage         integer,
     stages        jsonb NOT NULL,
     counters      jsonb NOT NULL DEFAULT '{}',
     created_by    text NOT NULL,
     created_at    timestamptz NOT NULL DEFAULT now(),
     updated_at    timestamptz NOT NULL DEFAULT now()
   )`,
  // No foreign key to devices: removing a device from the inventory later must not be refused because
  // an old campaign names it; the name is kept here for the report.
  `CREATE TABLE IF NOT EXISTS safeflash.campaign_devices (
     campaign_id text NOT NULL REFERENCES safeflash.campaigns(id),
     device_id   integer NOT NULL,
     name        text NOT NULL,
     wave        integer,
     stage       integer,
     state       text NOT NULL,
     attempts    integer NOT NULL DEFAULT 0,
     run_id      text,
     cause       text,
     message     text,
     started_at  timestamptz,
     updated_at  timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (campaign_id, device_id)
   )`,
  // A page of a campaign's devices is read in this order: from the index, not a sort of all of them.
  `CREATE INDEX IF NOT EXISTS campaign_devices_order ON safeflash.campaign_devices (campaign_id, wave NULLS LAST, device_id)`,
  `CREATE TABLE IF NOT EXISTS safeflash.campaign_events (
     id          bigserial PRIMARY KEY,
     campaign_id text NOT NULL REFERENCES safeflash.campaigns(id),
     at          timestamptz NOT NULL DEFAULT now(),
     kind        text NOT NULL,
     actor       text NOT NULL,
     cause       text,
     message     text NOT NULL,
     detail      jsonb NOT NULL DEFAULT '{}',
     step_key    text,
     UNIQUE (campaign_id, step_key)
   )`,
  // Stored files (images, vendor files, configurations, uploads as they arrived), once for every
  // manager on the database, by the SHA-256 of their bytes; each manager keeps a disk cache of them
  // (files/content-store.ts). A file's row is written in the transaction that writes its chunks, so a
  // row means the whole file is there.
  `CREATE TABLE IF NOT EXISTS safeflash.contents (
     sha256    text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
     size      bigint NOT NULL CHECK (size >= 0),
     chunks    integer NOT NULL CHECK (chunks >= 0),
     stored_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS safeflash.content_chunks (
     sha256 text NOT NULL REFERENCES safeflash.contents(sha256),
     seq    integer NOT NULL CHECK (seq >= 0),
     bytes  bytea NOT NULL,
     PRIMARY KEY (sha256, seq)
   )`,
  // An upload kept in the shared store as soon as it arrived, so that any manager can collect it.
  `ALTER TABLE safeflash.file_offers ADD COLUMN IF NOT EXISTS upload_sha256 text REFERENCES safeflash.contents(sha256)`,
  // The managers sharing this database (membership/membership.ts): each registers under its DBOS
  // executor ID and heartbeats; one whose heartbeat stopped (it died, or stopped and did not come back)
  // is taken over by another, which has its workflows recovered. Times are the database's own clock, so managers' clocks never disagree.
  `CREATE TABLE IF NOT EXISTS safeflash.managers (
     executor_id       text PRIMARY KEY,
     host              text NOT NULL,
     pid               integer NOT NULL,
     endpoints         jsonb NOT NULL,
     state             text NOT NULL CHECK (state IN ('up', 'stopped', 'dead')),
     started_at        timestamptz NOT NULL DEFAULT now(),
     heartbeat_at      timestamptz NOT NULL DEFAULT now(),
     taken_over_by     text,
     taken_over_at     timestamptz,
     workflows_taken   integer
   )`,
  // FTP passwords are kept as their SHA-256 only (the FTP server checks a login against that); a
  // password an earlier version kept in clear is replaced by its digest.
  `ALTER TABLE safeflash.file_offers ADD COLUMN IF NOT EXISTS password_sha256 text`,
  `UPDATE safeflash.file_offers SET password_sha256 = encode(sha256(convert_to(password, 'UTF8')), 'hex'), password = NULL WHERE password IS NOT NULL`,
  // What an operation's notifications said, kept for the run that waits for them (store/operation-routes.ts).
  `ALTER TABLE safeflash.operation_routes ADD COLUMN IF NOT EXISTS ended jsonb`,
  `ALTER TABLE safeflash.operation_routes ADD COLUMN IF NOT EXISTS boots integer NOT NULL DEFAULT 0`,
  // What each durable step of a run answered, in the order the run took them: a resumed run reads its
  // answers back instead of asking the device or the database again (procedure/run-journal.ts).
  `CREATE TABLE IF NOT EXISTS safeflash.run_steps (
     run_id  text NOT NULL REFERENCES safeflash.runs(id) ON DELETE CASCADE,
     seq     integer NOT NULL,
     name    text NOT NULL,
     output  json NOT NULL,
     at      timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (run_id, seq)
   )`,
  // Who made and who revoked each token (operator:<name of the token used>, or manager for the
  // bootstrap token), for the audit export (store/audit.ts); null on tokens from before it was kept.
  `ALTER TABLE safeflash.api_tokens ADD COLUMN IF NOT EXISTS created_by text`,
  `ALTER TABLE safeflash.api_tokens ADD COLUMN IF NOT EXISTS revoked_by text`,
  // Who uploaded each image (operator:<name of the token used>), for the audit; null when added otherwise.
  `ALTER TABLE safeflash.images ADD COLUMN IF NOT EXISTS added_by text`,
  // Which secrets key seals the inventory's credentials (store/secrets-key-check.ts): a check value
  // derived from it, never the key. One row; the first manager to start with a key writes it.
  `CREATE TABLE IF NOT EXISTS safeflash.secrets_key (
     singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     key_check  text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  // Changes to the inventory (store/devices.ts), for the audit (store/audit.ts): each written by the
  // statement that makes the change, so that a change never goes without its record and a refused one
  // leaves none. Only ever appended to. No foreign key to devices, and the device's name and address
  // as they were: a removed device's row is gone, its record stays. The actions are deviceEventActions'.
  `CREATE TABLE IF NOT EXISTS safeflash.device_events (
     id        bigserial PRIMARY KEY,
     device_id integer NOT NULL,
     name      text NOT NULL,
     address   inet NOT NULL,
     port      integer NOT NULL,
     at        timestamptz NOT NULL DEFAULT now(),
     actor     text NOT NULL,
     action    text NOT NULL CONSTRAINT device_events_action_known
                 CHECK (action IN ('device.add', 'device.import', 'device.discover', 'device.refresh', 'device.remove')),
     detail    jsonb NOT NULL DEFAULT '{}'
   )`,
  `CREATE INDEX IF NOT EXISTS device_events_at ON safeflash.device_events (at)`,
  // Each stage's device counters, kept with the campaign (store/campaigns.ts stageCountersOf); counted
  // once here for campaigns from before the column.
  `ALTER TABLE safeflash.campaigns ADD COLUMN IF NOT EXISTS stage_counters jsonb`,
  `UPDATE safeflash.campaigns c SET stage_counters = ${stageCountersOf('c.id')} WHERE stage_counters IS NULL`,
  // A wake is on its way to the campaign since its last look (campaigns/run-end-wake.ts): the run ends
  // that follow need no wake of their own.
  `ALTER TABLE safeflash.campaigns ADD COLUMN IF NOT EXISTS wake_pending boolean NOT NULL DEFAULT false`,
  // An operator's request (pause, resume, abort, approve) waits among the campaign's messages since its
  // last look: the look that sees it takes the messages (campaigns/workflow.ts).
  `ALTER TABLE safeflash.campaigns ADD COLUMN IF NOT EXISTS controls_pending boolean NOT NULL DEFAULT false`,
  // What each durable step of a campaign answered, in the order the campaign took them: a resumed
  // campaign reads its answers back (campaigns/campaign-journal.ts).
  `CREATE TABLE IF NOT EXISTS safeflash.campaign_steps (
     campaign_id text NOT NULL,
     seq         integer NOT NULL,
     name        text NOT NULL,
     output      json NOT NULL,
     at          timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (campaign_id, seq)
   )`,
] as const;
