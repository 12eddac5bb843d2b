// What the HTTP API needs from the manager: the inventory, the part of the file service it uses, the
// procedure, the metrics.
import type { Inventory } from '../../manager/inventory/inventory.ts';
import type { ManagerFiles } from '../../manager/files/manager-files.ts';
import type { Procedure } from '../../manager/procedure/procedure.ts';
import type { Campaigns } from '../../manager/campaigns/campaigns.ts';
import type { ManagerMetrics } from '../../manager/metrics.ts';
import type { LiveEvents } from '../../manager/live-events.ts';
import type { ManagerRecord } from '../../manager/store/managers.ts';
import type { TokenCheck } from './auth.ts';
import type { TokenService } from './auth-routes.ts';
import type { AuditService } from './routes/audit.ts';

/** The part of the file service the API uses. */
export type ImageService = Pick<ManagerFiles, 'addImage' | 'listImages' | 'image' | 'storeConfig' | 'listBackups' | 'backup' | 'readBackup'>;

export interface ApiServices {
  inventory: Inventory;
  files: ImageService;
  procedure: Procedure;
  campaigns: Campaigns;
  metrics: ManagerMetrics;
  /** Changes as they happen, streamed to dashboards by /api/events. */
  live: LiveEvents;
  /** API tokens: checked on every request, managed under /api/tokens. */
  tokens: TokenCheck & TokenService;
  /** How many vendor keys images are checked against; none means images cannot be added. */
  trustedKeyCount: number;
  /** This manager's name among those sharing the database. */
  executorId: string;
  /** Every manager sharing the database. */
  managers: () => Promise<ManagerRecord[]>;
  /** The operators' actions, for the audit export. */
  audit: AuditService;
}
