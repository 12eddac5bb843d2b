// The networks the manager may talk to (`safeflash serve --allow-networks`). Loopback only unless the
// operator says otherwise: a manager started by mistake, or by a test, can never reach a real device.
// Checked where devices enter the inventory (add, import, discovery) and again where SNMP leaves the
// manager, so that a device row written by an older build or another manager is not sent to either.
import { CidrError, networkContains, networkCovers, parseAddress, parseNetwork, type Network } from './cidr.ts';

/** The setting an operator changes to let the manager reach more networks. */
export const allowNetworksOption = '--allow-networks';

export const loopbackNetworks = ['127.0.0.0/8', '::1/128'] as const;

/** An address or block outside the allowed networks: nothing was stored and nothing was sent. */
export class NetworkNotAllowedError extends Error {
  override name = 'NetworkNotAllowedError';
}

export class AllowedNetworks {
  private constructor(readonly networks: readonly Network[]) {}

  /** Comma-separated networks, IPv4 or IPv6 (`192.0.2.0/24,2001:db8::/64`); throws CidrError. */
  static parse(text: string): AllowedNetworks {
    const parts = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    if (parts.length === 0) throw new CidrError('give at least one network, e.g. 127.0.0.0/8');
    return new AllowedNetworks(parts.map(parseNetwork));
  }

  static of(networks: readonly string[]): AllowedNetworks {
    return AllowedNetworks.parse(networks.join(','));
  }

  static readonly loopback: AllowedNetworks = AllowedNetworks.of(loopbackNetworks);

  /** Whether the manager may send to `address` (false for text that is not an address). */
  allows(address: string): boolean {
    const parsed = parseAddress(address);
    return parsed !== undefined && this.networks.some((network) => networkContains(network, parsed));
  }

  /** Whether every address of the block is allowed. */
  covers(block: Network): boolean {
    return this.networks.some((network) => networkCovers(network, block));
  }

  /** Why `what` may not be reached, in words that name the setting to change. */
  refusal(what: string): string {
    return `${what} is outside the networks this manager may talk to (${this.toString()}); to manage devices there, start the manager with ${allowNetworksOption} naming their network`;
  }

  /** Throws NetworkNotAllowedError unless the manager may send to `address`. */
  check(address: string): void {
    if (!this.allows(address)) throw new NetworkNotAllowedError(this.refusal(`address ${address}`));
  }

  toString(): string {
    return this.networks.map((network) => network.cidr).join(', ');
  }
}
