// Shared pieces of the manager file service tests: one embedded database per test file, signed
// images, device configurations, a device row, and transfers from a device's loopback address.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, type KeyObject } from 'node:crypto';
import { generateKeyPair } from '../../src/protocol/keys.ts';
import { packImage } from '../../src/protocol/image.ts';
import { factoryConfig, renderConfig } from '../../src/protocol/config.ts';
import { download, upload } from '../../src/protocol/transfer.ts';
import { TransferError, type TransferFailure } from '../../src/protocol/transfer-contract.ts';
import { openDatabase, type Database } from '../../src/manager/store/database.ts';
import { storeOn } from '../../src/manager/store/store.ts';
import { ManagerFiles, type FileOffer, type ManagerFilesOptions } from '../../src/manager/files/manager-files.ts';
import type { OfferDirection } from '../../src/manager/files/file-offer.ts';

/** The address the "device" transfers from. */
export const deviceAddress = '127.0.0.2';

export interface TestWorld {
  dir: string;
  database: Database;
  vendor: { privateKey: KeyObject; publicKey: KeyObject };
  deviceId: number;
  remove(): Promise<void>;
}

export async function startWorld(): Promise<TestWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'safeflash-files-'));
  // PostgreSQL runs as its own user when the tests run as root; it must reach its directory.
  chmodSync(dir, 0o755);
  const database = await openDatabase({ dataDir: join(dir, 'db') });
  const inserted = await database.pool.query<{ id: number }>(
    `INSERT INTO safeflash.devices (name, address, port, security) VALUES ('iad-1', '127.0.0.2', 161, '{}') RETURNING id`,
  );
  return {
    dir,
    database,
    vendor: generateKeyPair(),
    deviceId: inserted.rows[0]!.id,
    remove: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let dataDirs = 0;

/** A file service on its own data directory (a fresh one unless `dataDir` is given) and free ports. */
export async function startFiles(world: TestWorld, options: Partial<ManagerFilesOptions> = {}): Promise<ManagerFiles> {
  dataDirs += 1;
  return ManagerFiles.start({
    dataDir: join(world.dir, `data-${dataDirs}`),
    tftp: { address: '127.0.0.1', port: 0 },
    ftp: { address: '127.0.0.1', port: 0 },
    store: storeOn(world.database.pool),
    trustedKeys: [world.vendor.publicKey],
    ...options,
  });
}

export function signedImage(privateKey: KeyObject, payloadBytes = 70_000): Buffer {
  return packImage({ model: 'IAD-2400', version: '4.2.0', configFormat: 2 }, randomBytes(payloadBytes), privateKey);
}

export function deviceConfig(serial = 'SN-0001', format = 1): Buffer {
  return renderConfig(factoryConfig({ model: 'IAD-2400', serial, format }));
}

function targetOf(offer: FileOffer, file = offer.fileName) {
  return {
    protocol: offer.protocol,
    server: offer.server.address,
    port: offer.server.port,
    file,
    ...(offer.username !== undefined ? { username: offer.username } : {}),
    ...(offer.password !== undefined ? { password: offer.password } : {}),
    localAddress: deviceAddress,
  };
}

/** What a device downloads for `offer` (optionally asking for another name with the same credentials). */
export function fetchOffer(offer: FileOffer, file?: string): Promise<Buffer> {
  return download(targetOf(offer, file));
}

export function uploadToOffer(offer: FileOffer, bytes: Buffer): Promise<void> {
  return upload(targetOf(offer), bytes);
}

/** The failure of a transfer that must fail. */
export async function failureOf(transfer: Promise<unknown>): Promise<TransferFailure> {
  try {
    await transfer;
  } catch (error) {
    if (error instanceof TransferError) return error.failure;
    throw error;
  }
  throw new Error('the transfer succeeded but should have failed');
}

/**
 * Resolves when the file service has recorded the use of `offer` (its transfer completed). Call it
 * before starting the transfer, so the event cannot pass unseen.
 */
export function usedOnce(files: ManagerFiles, offer: FileOffer): Promise<{ direction: OfferDirection; bytes: number }> {
  return new Promise((resolve) => {
    const listener = (used: FileOffer, direction: OfferDirection, bytes: number): void => {
      if (used.fileName !== offer.fileName) return;
      files.off('offerUsed', listener);
      resolve({ direction, bytes });
    };
    files.on('offerUsed', listener);
  });
}

export function expiredOnce(files: ManagerFiles, offer: FileOffer): Promise<void> {
  return new Promise((resolve) => {
    const listener = (expired: FileOffer): void => {
      if (expired.fileName !== offer.fileName) return;
      files.off('offerExpired', listener);
      resolve();
    };
    files.on('offerExpired', listener);
  });
}
