// Which devices a campaign upgrades, resolved once when it is created (and stored with it, so that a
// resumed campaign works on the same devices whatever the inventory says later). The order is the
// inventory's (by id), which also fixes which devices go in which wave.
import type { DeviceRecord, ImageRecord } from '../store/records.ts';
import type { DeviceSelector } from './settings.ts';
import { inVersionRange, parseVersionRange } from './version-range.ts';

export interface Selection {
  devices: DeviceRecord[];
  problems: string[];
}

/** `listed`: the devices an explicit list named (already looked up), undefined when there was no list. */
/** `images`: one per model; a selected device of a model none is for is a problem. */
export function selectDevices(
  inventory: readonly DeviceRecord[],
  selector: DeviceSelector,
  images: readonly ImageRecord[],
  listed: DeviceRecord[] | undefined,
): Selection {
  const range = selector.versionRange ? parseVersionRange(selector.versionRange) : undefined;
  const tags = selector.tags ?? [];
  const listedIds = listed ? new Set(listed.map((d) => d.id)) : undefined;
  const devices = inventory
    .filter((d) => !listedIds || listedIds.has(d.id))
    .filter((d) => selector.model === undefined || d.model === selector.model)
    .filter((d) => selector.family === undefined || d.family === selector.family)
    .filter((d) => !range || (d.runningVersion !== null && inVersionRange(range, d.runningVersion)))
    .filter((d) => tags.every((tag) => d.tags.includes(tag)))
    .sort((a, b) => a.id - b.id);
  const problems: string[] = [];
  if (devices.length === 0) problems.push('no device of the inventory matches the selection');
  const models = new Set(images.map((i) => i.model));
  // With an image per model, a device's image is its model's: one never read has none yet.
  const unread = images.length > 1 ? devices.filter((d) => d.model === null) : [];
  if (unread.length > 0) {
    problems.push(
      `${unread.length} selected device(s) were never read, so their model is not known: ${unread
        .slice(0, 5)
        .map((d) => d.name)
        .join(', ')}${unread.length > 5 ? ', ...' : ''} (device refresh, or discovery, reads them)`,
    );
  }
  const otherModels = devices.filter((d) => d.model !== null && !models.has(d.model));
  if (otherModels.length > 0) {
    const names = otherModels
      .slice(0, 5)
      .map((d) => `${d.name} (${d.model})`)
      .join(', ');
    problems.push(
      `the image${images.length > 1 ? 's are' : ' is'} for ${[...models].join(', ')}; ${otherModels.length} selected device(s) are not: ${names}${otherModels.length > 5 ? ', ...' : ''} (narrow the selection with a model or a family, or add an image for theirs)`,
    );
  }
  return { devices, problems };
}
