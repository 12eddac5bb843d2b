// The manager's store: every repository, over one pool. The only place repositories are built; the
// other parts of the manager are handed the ones they use (declared as narrow types where they live).
import type pg from 'pg';
import { AuditLog } from './audit.ts';
import { BackupStore } from './backups.ts';
import { CampaignStore } from './campaigns.ts';
import { CampaignStepRecords } from './campaign-steps.ts';
import { ContentTable } from './contents.ts';
import { DeviceStore, type SecretSealer } from './devices.ts';
import { ImageStore } from './images.ts';
import { ManagerStore } from './managers.ts';
import { OfferStore } from './offers.ts';
import { OperationRoutes } from './operation-routes.ts';
import { RunStore } from './runs.ts';
import { StepRecords } from './step-records.ts';
import { TokenStore } from './tokens.ts';

export interface Store {
  devices: DeviceStore;
  images: ImageStore;
  backups: BackupStore;
  runs: RunStore;
  /** What each durable step of each run answered. */
  steps: StepRecords;
  /** Which run ordered which operation: where notifications go. */
  routes: OperationRoutes;
  /** Names and credentials handed to devices for their transfers. */
  offers: OfferStore;
  campaigns: CampaignStore;
  /** What each durable step of each campaign answered. */
  campaignSteps: CampaignStepRecords;
  tokens: TokenStore;
  /** Stored files' bytes, shared by every manager on the database. */
  contents: ContentTable;
  /** The managers sharing the database, their heartbeats and takeovers. */
  managers: ManagerStore;
  /** The operators' actions, from what the other tables record. */
  audit: AuditLog;
}

/**
 * The repositories over a pool whose database has the schema (store/database.ts applies it). `secrets`
 * seals the devices' credentials (the manager always gives its key; some tests give none).
 */
export function storeOn(pool: pg.Pool, secrets?: SecretSealer): Store {
  return {
    devices: new DeviceStore(pool, secrets),
    images: new ImageStore(pool),
    backups: new BackupStore(pool),
    runs: new RunStore(pool),
    steps: new StepRecords(pool),
    routes: new OperationRoutes(pool),
    offers: new OfferStore(pool),
    campaigns: new CampaignStore(pool),
    campaignSteps: new CampaignStepRecords(pool),
    tokens: new TokenStore(pool),
    contents: new ContentTable(pool),
    managers: new ManagerStore(pool),
    audit: new AuditLog(pool),
  };
}
