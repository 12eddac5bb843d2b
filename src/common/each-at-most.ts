// Work on every item of a list with at most `width` of them under way at once: each worker takes the
// next item as soon as its last one is done, so one slow item does not hold back the others.
export async function eachAtMost<T>(width: number, items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
}
