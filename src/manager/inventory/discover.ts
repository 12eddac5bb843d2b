// Discovery: ask every address of a block what it is, a bounded number at a time, each with its own
// short timeout. An address that does not answer is skipped; one that answers but refuses the
// credentials, or is of no family the manager knows, is reported as such.
import { eachAtMost } from '../../common/each-at-most.ts';
import { DeviceDriver } from '../device-driver.ts';
import { recogniseFamily } from '../../families/families.ts';
import type { DeviceReading, FamilyName } from '../../families/family.ts';
import { SnmpError } from '../../protocol/snmp/errors.ts';
import type { SnmpSecurity } from '../../protocol/snmp/security.ts';
import type { AddressBlock } from './cidr.ts';
import type { AllowedNetworks } from './allowed-networks.ts';

export interface DiscoverOptions {
  port: number;
  security: SnmpSecurity;
  /** Checked again for every address, where the request leaves. */
  allowedNetworks: AllowedNetworks;
  sourceAddress?: string;
  /** Addresses asked at the same time. */
  concurrency?: number;
  /** How long one address has to answer. */
  timeoutMs?: number;
}

export type Probe =
  | { address: string; answered: true; family: FamilyName; reading: DeviceReading }
  | { address: string; answered: false }
  | { address: string; answered: true; error: string };

export const discoveryDefaults = { concurrency: 64, timeoutMs: 1000 } as const;

export async function discover(block: AddressBlock, options: DiscoverOptions): Promise<Probe[]> {
  const concurrency = Math.max(1, Math.min(options.concurrency ?? discoveryDefaults.concurrency, 256));
  const probes: Probe[] = new Array(block.hosts.length);
  await eachAtMost(concurrency, block.hosts, async (address, i) => {
    probes[i] = await probe(address, options);
  });
  return probes;
}

async function probe(address: string, options: DiscoverOptions): Promise<Probe> {
  const driver = new DeviceDriver(
    {
      endpoint: { address, port: options.port },
      security: options.security,
      allowedNetworks: options.allowedNetworks,
      ...(options.sourceAddress ? { sourceAddress: options.sourceAddress } : {}),
    },
    { timeoutMs: options.timeoutMs ?? discoveryDefaults.timeoutMs, retries: 0 },
  );
  try {
    // The family first (every agent serves the system group), then what that family's objects say.
    const system = await driver.system();
    const family = recogniseFamily(system);
    if (!family)
      return {
        address,
        answered: true,
        error: `no known family answers as sysObjectID ${system.sysObjectID || '(none)'}, sysDescr ${JSON.stringify(system.sysDescr.slice(0, 80))}`,
      };
    const reading = await driver.withFamily(family.name).read();
    return { address, answered: true, family: family.name, reading };
  } catch (error) {
    if (error instanceof SnmpError && error.failure === 'timeout') return { address, answered: false };
    return { address, answered: true, error: (error as Error).message };
  } finally {
    driver.close();
  }
}
