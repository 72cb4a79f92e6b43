/**
 * An index of ids in ascending order of a key that only grows (a revision): appending is O(1),
 * seeking a key is a binary search, and an id that moved on (a record changed, so it was appended
 * again under a newer key) stays behind as a dead entry that readers skip and compaction drops.
 * Readers say which entries are live: the one whose key is the record's current key.
 */
export class OrderedIndex {
  private keys: number[] = [];
  private ids: string[] = [];
  private liveCount = 0;

  /** How many live entries the index holds. */
  get size(): number {
    return this.liveCount;
  }

  /** Add `id` under `key`, which must not be smaller than any key added before. */
  append(key: number, id: string): void {
    this.keys.push(key);
    this.ids.push(id);
    this.liveCount++;
  }

  /** Note that one entry went dead (its record moved on or was deleted). */
  released(isLive: (key: number, id: string) => boolean): void {
    this.liveCount--;
    // Dead entries are dropped once they outnumber the live ones, so the index stays within twice
    // its live size and each append pays O(1) amortised for the cleaning.
    if (this.keys.length > 64 && this.keys.length > 2 * this.liveCount) this.compact(isLive);
  }

  /** Live entries with a key greater than `after`, in ascending key order. */
  *ascending(isLive: (key: number, id: string) => boolean, after = -1): Generator<string> {
    for (let i = this.firstAbove(after); i < this.keys.length; i++) {
      if (isLive(this.keys[i]!, this.ids[i]!)) yield this.ids[i]!;
    }
  }

  /** Live entries with a key smaller than `before`, in descending key order. */
  *descending(isLive: (key: number, id: string) => boolean, before = Number.POSITIVE_INFINITY): Generator<string> {
    for (let i = this.firstAbove(before - 1) - 1; i >= 0; i--) {
      if (this.keys[i]! < before && isLive(this.keys[i]!, this.ids[i]!)) yield this.ids[i]!;
    }
  }

  /** The position of the first entry whose key is greater than `key`. */
  private firstAbove(key: number): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle]! <= key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private compact(isLive: (key: number, id: string) => boolean): void {
    const keys: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (isLive(this.keys[i]!, this.ids[i]!)) {
        keys.push(this.keys[i]!);
        ids.push(this.ids[i]!);
      }
    }
    this.keys = keys;
    this.ids = ids;
    this.liveCount = keys.length;
  }
}
