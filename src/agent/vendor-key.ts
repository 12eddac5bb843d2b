// What a fleet trusts and boots first: given files, or a vendor key made once in the state directory
// with a factory image (version 1.0.0, configuration format 1) signed by it.
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packImage } from '../protocol/image.ts';
import { keyPairFiles, readPrivateKey, readPublicKey, writeKeyPair } from '../protocol/keys.ts';

export interface FactorySoftware {
  trustedKey: KeyObject;
  factoryImage: Buffer;
}

export const factoryVersion = '1.0.0';
export const factoryConfigFormat = 1;

/** The vendor key prefix under a state directory: <dir>/vendor.key and <dir>/vendor.pub. */
export function vendorKeyPrefix(stateDir: string): string {
  return join(stateDir, 'vendor');
}

export function factoryImagePath(stateDir: string, model: string): string {
  return join(stateDir, `factory-${model}-${factoryVersion}.sfimg`);
}

/** Reads the given trusted key and factory image. */
export function readFactorySoftware(trustedKeyFile: string, factoryImageFile: string): FactorySoftware {
  return { trustedKey: readPublicKey(trustedKeyFile), factoryImage: readFileSync(factoryImageFile) };
}

/** The state directory's vendor key (made on first use) and a factory image for `model` signed by it. */
export function ensureVendorSoftware(stateDir: string, model: string): FactorySoftware {
  mkdirSync(stateDir, { recursive: true });
  const prefix = vendorKeyPrefix(stateDir);
  const files = keyPairFiles(prefix);
  if (!existsSync(files.privateKeyFile)) writeKeyPair(prefix);
  const privateKey = readPrivateKey(files.privateKeyFile);
  const trustedKey = readPublicKey(files.publicKeyFile);
  const imagePath = factoryImagePath(stateDir, model);
  if (!existsSync(imagePath)) {
    const payload = Buffer.from(`Safeflash reference software for ${model}, version ${factoryVersion}\n`, 'utf8');
    const image = packImage({ model, version: factoryVersion, configFormat: factoryConfigFormat }, payload, privateKey);
    writeFileSync(imagePath, image, { flag: 'wx' });
  }
  return { trustedKey, factoryImage: readFileSync(imagePath) };
}
