// Devices named on the command line: each reference (id, name or address) is looked up first, and
// references to one device are merged, so that a device named twice (by its name and its address, say)
// is one device to every command that takes several.
import type { ApiClient } from './api-client.ts';
import type { DeviceJson } from './api-types.ts';

export interface ResolvedDevices {
  /** Each device once, in the order it was first named. */
  devices: DeviceJson[];
  /** One line per device named more than once, e.g. "fh-3 and 127.60.9.3 are the same device". */
  merged: string[];
}

/** Looks every reference up (a reference the manager does not know fails the whole command, ApiError 404), then merges. */
export async function resolveDevices(api: ApiClient, references: string[]): Promise<ResolvedDevices> {
  const found = await Promise.all(
    references.map(async (reference) => ({ reference, device: await api.get<DeviceJson>(`/api/devices/${encodeURIComponent(reference)}`) })),
  );
  return mergeSameDevices(found);
}

export function mergeSameDevices(found: ReadonlyArray<{ reference: string; device: DeviceJson }>): ResolvedDevices {
  const byId = new Map<number, { device: DeviceJson; references: string[] }>();
  for (const { reference, device } of found) {
    const entry = byId.get(device.id);
    if (entry) entry.references.push(reference);
    else byId.set(device.id, { device, references: [reference] });
  }
  const merged: string[] = [];
  for (const { device, references } of byId.values()) {
    if (references.length === 1) continue;
    const distinct = [...new Set(references)];
    merged.push(
      distinct.length === 1
        ? `${distinct[0]} is named ${references.length} times; it is one device`
        : `${andList(distinct)} are the same device${distinct.includes(device.name) ? '' : ` (${device.name})`}`,
    );
  }
  return { devices: [...byId.values()].map((e) => e.device), merged };
}

function andList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
