// Collects a download in memory and refuses to hold more than the caller allowed, so a server
// that lies about (or never announces) the size cannot make a device buffer without end.
import { Writable } from 'node:stream';
import { TransferError } from '../transfer-contract.ts';

export class BoundedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  bytes = 0;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number | undefined,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== undefined && this.bytes > this.maxBytes) {
      done(new TransferError('tooLarge', `${this.file}: more than the ${this.maxBytes} bytes allowed arrived`));
      return;
    }
    this.chunks.push(chunk);
    done();
  }

  contents(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }
}
