// What the HTTP API needs from the manager: the inventory, the part of the file service it uses, the
// procedure, the metrics.
import type { Inventory } from '../../manager/inventory/inventory.ts';
import type { ManagerFiles } from '../../manager/files/manager-files.ts';
import type { Procedure } from '../../manager/procedure/procedure.ts';
import type { Campaigns } from '../../manager/campaigns/campaigns.ts';
import type { ManagerMetrics } from './metrics.ts';

/** The part of the file service the API uses. */
export type ImageService = Pick<ManagerFiles, 'addImage' | 'listImages' | 'image' | 'storeConfig' | 'listBackups'>;

export interface ApiServices {
  inventory: Inventory;
  files: ImageService;
  procedure: Procedure;
  campaigns: Campaigns;
  metrics: ManagerMetrics;
  /** How many vendor keys images are checked against; none means images cannot be added. */
  trustedKeyCount: number;
}
