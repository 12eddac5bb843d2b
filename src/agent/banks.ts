// The two software banks on disk: banks/A.img and banks/B.img, each a whole signed image or nothing.
// Inspecting a bank means reading and verifying a whole image (a MiB or more: its digest, its signature),
// and a device inspects both banks at every boot. The store remembers what it last found in each file
// with the file's identity (inode, size, modification and change times): a file that still has that
// identity holds the same bytes, so its verdict stands; any write to it, ours or anyone's, changes the
// change time at least and the file is read and verified again. File systems keep times at a coarse
// grain (a few milliseconds), so a file changed within the last second is not remembered when read.
import { rm, stat } from 'node:fs/promises';
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

/** What a bank's file was when it was last inspected or written, and what it held then. */
interface KnownContent {
  identity: string;
  content: BankContent;
}

/** A file's identity, and when it last changed (nanoseconds since the epoch). */
interface FileIdentity {
  key: string;
  changedNs: bigint;
}

const settledNs = 1_000_000_000n;

export class BankStore {
  private readonly known = new Map<Bank, KnownContent>();

  constructor(
    readonly directory: string,
    private readonly trust: ImageTrust,
    /** Whether writes and removals are flushed to the disk (writeFileAtomic's flush). */
    private readonly flush = true,
  ) {}

  /** The bank's image file as it is on disk; undefined when the bank is empty. */
  async read(bank: Bank): Promise<Buffer | undefined> {
    return readFileIfExists(this.path(bank));
  }

  async inspect(bank: Bank): Promise<BankContent> {
    const identity = await this.identity(bank);
    if (identity === undefined) {
      this.known.delete(bank);
      return { kind: 'empty' };
    }
    const known = this.known.get(bank);
    if (known?.identity === identity.key) return known.content;
    const image = await this.read(bank);
    if (image === undefined) return { kind: 'empty' };
    let content: BankContent;
    try {
      content = { kind: 'image', header: readImage(image, this.trust).header };
    } catch (error) {
      content = { kind: 'unreadable', problem: (error as Error).message };
    }
    // Remembered under the identity seen before the read: if the file changed in between, the next
    // inspection sees another identity and reads it again.
    if (BigInt(Date.now()) * 1_000_000n - identity.changedNs > settledNs) this.known.set(bank, { identity: identity.key, content });
    else this.known.delete(bank);
    return content;
  }

  /**
   * Replaces the bank's image in one atomic step and returns what the bank now holds. `verified` is
   * the image's header as readImage gave it for these very bytes under this store's trust: the bank
   * is then known without reading back what was just written.
   */
  async write(bank: Bank, image: Buffer, verified?: ImageHeader): Promise<BankContent> {
    this.known.delete(bank);
    await writeFileAtomic(this.path(bank), image, { flush: this.flush });
    if (verified === undefined) return this.inspect(bank);
    const identity = await this.identity(bank);
    const content: BankContent = { kind: 'image', header: verified };
    if (identity !== undefined) this.known.set(bank, { identity: identity.key, content });
    return content;
  }

  async erase(bank: Bank): Promise<void> {
    this.known.delete(bank);
    await rm(this.path(bank), { force: true });
    if (this.flush) await syncDirectory(this.directory);
  }

  /** The file's identity, or undefined when there is no file. */
  private async identity(bank: Bank): Promise<FileIdentity | undefined> {
    try {
      const { dev, ino, size, mtimeNs, ctimeNs } = await stat(this.path(bank), { bigint: true });
      return { key: `${dev}:${ino}:${size}:${mtimeNs}:${ctimeNs}`, changedNs: ctimeNs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
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
