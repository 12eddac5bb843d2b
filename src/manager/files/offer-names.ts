// Names handed to devices: 128 random bits each, so that knowing one offer tells nothing about another.
import { randomBytes } from 'node:crypto';
import type { OfferedContent } from './file-offer.ts';

const shapes: Record<OfferedContent | 'backup', { prefix: string; extension: string }> = {
  image: { prefix: 'image', extension: '.sfimg' },
  config: { prefix: 'config', extension: '.cfg' },
  vendorFile: { prefix: 'software', extension: '.bin' },
  backup: { prefix: 'backup', extension: '.cfg' },
};

export function offerName(what: OfferedContent | 'backup'): string {
  const { prefix, extension } = shapes[what];
  return `${prefix}-${randomBytes(16).toString('hex')}${extension}`;
}
