/**
 * A list value (main thread): a growable ring of elements, each a latin1 string (one char per
 * byte, so any bytes round-trip).
 *
 * Why a ring: the backlog recipe is LPUSH + LTRIM 0 N-1 + LRANGE 0 49, i.e. pushes at one end,
 * trims at the other and reads near the head. A ring makes every one of those O(1) per element
 * touched (LINDEX included), where Redis's quicklist walks nodes. Only LREM rebuilds (O(n)).
 *
 * Invariants: capacity is a power of two >= MIN_CAPACITY; slots outside [head, head+length) hold
 * undefined (so removed elements can be collected); the ring shrinks when it is 3/4 empty, so a
 * trimmed backlog gives its memory back.
 */

const MIN_CAPACITY = 8;

export class Deque {
  private slots: (string | undefined)[] = new Array<string | undefined>(MIN_CAPACITY);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Element i from the head (0 <= i < length). */
  at(i: number): string {
    return this.slots[(this.head + i) & (this.slots.length - 1)]!;
  }

  pushFront(element: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = element;
    this.count++;
  }

  pushBack(element: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = element;
    this.count++;
  }

  /** Removes and returns the head element; the deque must not be empty. */
  popFront(): string {
    const element = this.at(0);
    this.trimFront(1);
    return element;
  }

  /** Removes and returns the tail element; the deque must not be empty. */
  popBack(): string {
    const element = this.at(this.count - 1);
    this.trimBack(1);
    return element;
  }

  /** Drops the first n elements (n <= length). */
  trimFront(n: number): void {
    const mask = this.slots.length - 1;
    for (let i = 0; i < n; i++) this.slots[(this.head + i) & mask] = undefined;
    this.head = (this.head + n) & mask;
    this.count -= n;
    this.shrinkIfSparse();
  }

  /** Drops the last n elements (n <= length). */
  trimBack(n: number): void {
    const mask = this.slots.length - 1;
    for (let i = this.count - n; i < this.count; i++) this.slots[(this.head + i) & mask] = undefined;
    this.count -= n;
    this.shrinkIfSparse();
  }

  /**
   * LREM: removes up to `limit` elements equal to `element` (0 = all), scanning from the head, or
   * from the tail when `fromTail`. Returns how many were removed.
   */
  remove(element: string, limit: number, fromTail: boolean): number {
    const doomed = new Set<number>();
    for (let k = 0; k < this.count && (limit === 0 || doomed.size < limit); k++) {
      const i = fromTail ? this.count - 1 - k : k;
      if (this.at(i) === element) doomed.add(i);
    }
    if (doomed.size === 0) return 0;
    const kept: string[] = [];
    for (let i = 0; i < this.count; i++) if (!doomed.has(i)) kept.push(this.at(i));
    this.slots = new Array<string | undefined>(capacityFor(kept.length));
    for (let i = 0; i < kept.length; i++) this.slots[i] = kept[i];
    this.head = 0;
    this.count = kept.length;
    return doomed.size;
  }

  private shrinkIfSparse(): void {
    if (this.slots.length > MIN_CAPACITY && this.count < this.slots.length / 4) this.resize(capacityFor(this.count));
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.slots = next;
    this.head = 0;
  }
}

/** The smallest power of two >= MIN_CAPACITY with room for n elements and as many pushes. */
function capacityFor(n: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}
