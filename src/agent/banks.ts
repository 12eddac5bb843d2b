// The two software banks on disk: banks/A.img and banks/B.img, each a whole signed image or nothing.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { readImage, type ImageHeader } from '../protocol/image.ts';
import { readFileIfExists, syncDirectory, writeFileAtomic } from '../common/atomic-file.ts';
import type { Bank, BankState } from '../protocol/vocabulary.ts';
import type { BankStatus } from '../protocol/safeflash-mib/device-scalars.ts';

/** What a bank's file holds, checked as strictly as a download is. */
export type BankContent = { kind: 'empty' } | { kind: 'image'; header: ImageHeader } | { kind: 'unreadable'; problem: string };

export interface ImageTrust {
  trustedKeys: readonly KeyObject[];
  model: string;
}

const fileNames: Record<Bank, string> = { bankA: 'A.img', bankB: 'B.img' };

export class BankStore {
  constructor(
    readonly directory: string,
    private readonly trust: ImageTrust,
  ) {}

  /** The bank's image file as it is on disk; undefined when the bank is empty. */
  async read(bank: Bank): Promise<Buffer | undefined> {
    return readFileIfExists(this.path(bank));
  }

  async inspect(bank: Bank): Promise<BankContent> {
    const image = await this.read(bank);
    if (image === undefined) return { kind: 'empty' };
    try {
      return { kind: 'image', header: readImage(image, this.trust).header };
    } catch (error) {
      return { kind: 'unreadable', problem: (error as Error).message };
    }
  }

  /** Replaces the bank's image in one atomic step. */
  async write(bank: Bank, image: Buffer): Promise<void> {
    await writeFileAtomic(this.path(bank), image);
  }

  async erase(bank: Bank): Promise<void> {
    await rm(this.path(bank), { force: true });
    await syncDirectory(this.directory);
  }

  private path(bank: Bank): string {
    return join(this.directory, fileNames[bank]);
  }
}

/** The bank as the MIB shows it: what state.json says, overruled by what the file really holds. */
export function bankStatus(bank: Bank, recorded: BankState, content: BankContent): BankStatus {
  if (content.kind === 'empty') return { bank, state: 'empty', version: '', configFormat: 0, imageDigest: undefined };
  if (content.kind === 'unreadable') return { bank, state: 'invalid', version: '', configFormat: 0, imageDigest: undefined };
  return {
    bank,
    state: recorded === 'valid' ? 'valid' : 'invalid',
    version: content.header.version,
    configFormat: content.header.configFormat,
    imageDigest: Buffer.from(content.header.payloadSha256, 'hex'),
  };
}
