// Memory for downloads of announced size, kept for the next download once its taker is done with it.
// A fleet process downloads the same image into device after device: a fresh buffer of a MiB each
// time costs the kernel a page fault per 4 KiB on its first write, and V8 a share of a full garbage
// collection (it starts one whenever the memory held outside its heap has grown by some tens of MiB).
// Only the taker knows when the bytes are read no more: it gives the buffer back with releaseDownload.
// A buffer never given back is collected like any other.

/** Below this a buffer is cheap (Node.js carves small ones out of a shared slab): not kept. */
const minKeptBytes = 64 * 1024;
/** At most this much memory waits for the next download: a burst of a fleet's downloads at once. */
const maxKeptBytes = 128 * 1024 * 1024;
/** Kept memory no download took in this long is let go: a process at rest holds none. */
const idleMs = 30_000;

/** Memory handed out and not given back yet: only these are taken back, each once. */
const lent = new WeakSet<ArrayBufferLike>();
const kept: ArrayBuffer[] = [];
let keptBytes = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** A buffer of `bytes` bytes, contents undefined (like Buffer.allocUnsafe). */
export function lendBuffer(bytes: number): Buffer {
  if (bytes < minKeptBytes) return Buffer.allocUnsafe(bytes);
  // Not much larger than asked, so that a small download does not hold a large buffer.
  const at = kept.findIndex((memory) => memory.byteLength >= bytes && memory.byteLength <= 2 * bytes);
  if (at >= 0) {
    const memory = kept.splice(at, 1)[0]!;
    keptBytes -= memory.byteLength;
    lent.add(memory);
    return Buffer.from(memory, 0, bytes);
  }
  const fresh = Buffer.allocUnsafeSlow(bytes);
  lent.add(fresh.buffer);
  return fresh;
}

/**
 * The taker of a download is done with its bytes: the memory under them may carry the next download.
 * Anything else (a buffer lent before and given back already, one this module never lent) is ignored.
 */
export function releaseDownload(data: Buffer): void {
  const memory = data.buffer;
  if (!lent.delete(memory) || !(memory instanceof ArrayBuffer)) return;
  if (keptBytes + memory.byteLength > maxKeptBytes) return;
  kept.push(memory);
  keptBytes += memory.byteLength;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(letGo, idleMs);
  idleTimer.unref();
}

function letGo(): void {
  idleTimer = undefined;
  kept.length = 0;
  keptBytes = 0;
}
