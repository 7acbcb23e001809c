/**
 * Pattern index: finds the PSUBSCRIBE patterns that match a published channel without running the
 * glob matcher on every pattern.
 *
 * Runs on the partition worker threads; an index belongs to one thread and is not shared.
 *
 * Layout. Each pattern is split into its literal prefix (the bytes before the first `*`, `?` or `[`,
 * with `\x` escapes resolved) and the rest, and classified by the rest:
 *   EXACT     no rest (`news.sports`)            matches iff channel == prefix
 *   ANY_TAIL  rest is `*`, `**`, ...  (`news.*`) matches iff channel starts with prefix and is not ""
 *   SUFFIX    rest is stars + literal (`a:*:b`)  matches iff channel = prefix + tail, tail ends with
 *                                                 the literal and tail is at least as long as it
 *   GENERAL   anything else (`a:?:*`, `[ab]*`)   matches iff globMatch(rest, tail), tail non-empty
 * Patterns sit in a compressed byte trie (radix tree) keyed by literal prefix. A node holding SUFFIX
 * patterns owns a second radix tree keyed by their reversed literal suffixes.
 * Why the rules above hold: after a literal prefix, Redis's matcher is in the same state as a fresh
 * call on the two tails, provided the channel has bytes left; if the channel ends exactly at the
 * prefix, Redis skips trailing `*`s only, so EXACT and ANY_TAIL match and the others do not.
 *
 * Cost model of collectMatches(channel of L bytes):
 *   O(L) to walk the prefix trie (one Map lookup per branching node, byte compares on edges)
 *   + O(1) per EXACT/ANY_TAIL/SUFFIX match reported (no matcher run)
 *   + O(L) per prefix node on the path that holds SUFFIX patterns (walk the reversed tail)
 *   + one globMatch per GENERAL pattern whose prefix is a prefix of the channel.
 * So `prefix*`, `prefix*suffix` and exact patterns cost nothing per non-matching pattern; GENERAL
 * patterns with an empty prefix (`*foo?`, `?x`, `[ab]*`) sit at the root and are tried on every
 * channel. bench/micro/pattern-match.ts (10,001 patterns, one match, 2-core VM, Node 20): median
 * ~0.09 µs against 180-300 µs for a globMatch scan over all patterns; ~0.35-0.4 KB heap per pattern.
 * No channel->matches cache: the walk is already ~0.1 µs; a cache could only pay off with many
 * GENERAL patterns near the root, and stays out until a benchmark shows that case.
 *
 * Invariants:
 * - node.key (a latin1 string, one char per byte) holds at [0, node.depth) the path from its root
 *   to the node; the node's edge label is key[labelStart, depth). The key is the literal prefix (or
 *   reversed literal suffix) of a pattern that passes through the node and is shared by the nodes
 *   on that path, so nothing is copied per node. Why strings and not Uint8Arrays: moving keys to
 *   strings (and sharing one empty slots array) took the heap cost from ~690 to ~365 bytes per
 *   pattern, with no slowdown in bench/micro/pattern-match.ts.
 * - Apart from roots, no node is without slots, suffix tree and children, and none has exactly one
 *   child and nothing else: remove() deletes or merges such nodes, so churn does not leak nodes.
 * - A slot's node never changes identity while the slot lives (splits insert a new parent above it,
 *   merges keep the child).
 * - collectMatches allocates nothing; results come in trie order, not subscription order.
 */

import { globMatch } from './glob.js';

/** The pattern bytes must not change while the entry is indexed; entries carry other data too. */
export interface IndexedPattern {
  readonly bytes: Uint8Array;
}

const STAR = 0x2a; // '*'
const QUESTION = 0x3f; // '?'
const OPEN_CLASS = 0x5b; // '['
const ESCAPE = 0x5c; // '\'

const EXACT = 0;
const ANY_TAIL = 1;
const SUFFIX = 2;
const GENERAL = 3;

/** Shared by every node without slots (split nodes, roots): never pushed to, replaced on first add. */
const NO_SLOTS: never[] = [];

class RadixNode<E> {
  children: Map<number, RadixNode<E>> | null = null;
  slots: Slot<E>[] = NO_SLOTS;
  /** Only on prefix-trie nodes: the reversed-suffix tree of this node's SUFFIX patterns. */
  suffixRoot: RadixNode<E> | null = null;

  constructor(
    public parent: RadixNode<E> | null,
    public key: string,
    public labelStart: number,
    public depth: number,
  ) {}
}

class Slot<E> {
  index = 0;

  constructor(
    readonly entry: E,
    readonly pattern: Uint8Array,
    readonly kind: number,
    /** Where the rest of the pattern (after the literal prefix) starts in `pattern`. */
    readonly restOff: number,
    readonly prefixNode: RadixNode<E>,
    /** prefixNode, or the suffix-tree node for SUFFIX patterns. */
    readonly node: RadixNode<E>,
  ) {}
}

interface LiteralRun {
  /** The literal bytes, one latin1 char per byte. */
  text: string;
  /** Where the run stopped in the pattern. */
  end: number;
}

/**
 * Reads literal tokens from pattern[from..) up to the first `*`, `?` or `[` (or the end), resolving
 * each `\x` to x; a lone trailing backslash is literal, as in Redis. Cold path (add).
 */
function readLiteralRun(pattern: Uint8Array, from: number): LiteralRun {
  const literal = Buffer.allocUnsafe(pattern.length - from);
  let literalLen = 0;
  let p = from;
  while (p < pattern.length) {
    const token = pattern[p];
    if (token === STAR || token === QUESTION || token === OPEN_CLASS) break;
    if (token === ESCAPE && pattern.length - p >= 2) p++;
    literal[literalLen++] = pattern[p];
    p++;
  }
  return { text: literal.toString('latin1', 0, literalLen), end: p };
}

export class PatternIndex<E extends IndexedPattern> {
  private readonly root = new RadixNode<E>(null, '', 0, 0);
  private readonly slotsByEntry = new Map<E, Slot<E>>();
  private nodeTotal = 1;

  get size(): number {
    return this.slotsByEntry.size;
  }

  /** Radix nodes alive, roots included (1 when empty). For tests and diagnostics. */
  get nodeCount(): number {
    return this.nodeTotal;
  }

  /** Adds a pattern. The caller guarantees the same entry object is not added twice. */
  add(entry: E): void {
    const pattern = entry.bytes;
    const prefix = readLiteralRun(pattern, 0);
    const prefixNode = this.insertPath(this.root, prefix.text);
    const restOff = prefix.end;
    let starsEnd = restOff;
    while (starsEnd < pattern.length && pattern[starsEnd] === STAR) starsEnd++;

    let kind = GENERAL;
    let node = prefixNode;
    if (restOff === pattern.length) {
      kind = EXACT;
    } else if (starsEnd === pattern.length) {
      kind = ANY_TAIL;
    } else if (starsEnd > restOff) {
      const suffix = readLiteralRun(pattern, starsEnd);
      if (suffix.end === pattern.length) {
        kind = SUFFIX;
        let suffixRoot = prefixNode.suffixRoot;
        if (suffixRoot === null) {
          suffixRoot = new RadixNode<E>(null, '', 0, 0);
          prefixNode.suffixRoot = suffixRoot;
          this.nodeTotal++;
        }
        node = this.insertPath(suffixRoot, [...suffix.text].reverse().join(''));
      }
    }

    const slot = new Slot(entry, pattern, kind, restOff, prefixNode, node);
    slot.index = node.slots.length;
    if (node.slots === NO_SLOTS) node.slots = [slot];
    else node.slots.push(slot);
    this.slotsByEntry.set(entry, slot);
  }

  /** Removes a pattern and frees the nodes it leaves empty. Returns false if it was not indexed. */
  remove(entry: E): boolean {
    const slot = this.slotsByEntry.get(entry);
    if (slot === undefined) return false;
    this.slotsByEntry.delete(entry);

    const node = slot.node;
    const last = node.slots.pop()!;
    if (last !== slot) {
      node.slots[slot.index] = last;
      last.index = slot.index;
    } else if (node.slots.length === 0) {
      node.slots = NO_SLOTS;
    }
    this.prune(node);
    const prefixNode = slot.prefixNode;
    if (prefixNode.suffixRoot !== null && prefixNode.suffixRoot.children === null) {
      prefixNode.suffixRoot = null;
      this.nodeTotal--;
      this.prune(prefixNode);
    }
    return true;
  }

  /**
   * Writes every entry whose pattern matches channel[off, off+len) to out[0..n) and returns n.
   * Entries beyond n in `out` are left as they were. Allocates nothing once `out` is long enough.
   */
  collectMatches(channel: Uint8Array, off: number, len: number, out: E[]): number {
    let found = 0;
    let node = this.root;
    for (;;) {
      const depth = node.depth;
      const slots = node.slots;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i];
        const kind = slot.kind;
        if (kind === ANY_TAIL) {
          if (len > 0) out[found++] = slot.entry;
        } else if (kind === EXACT) {
          if (depth === len) out[found++] = slot.entry;
        } else if (
          // GENERAL (SUFFIX slots live in the suffix trees)
          depth < len &&
          globMatch(slot.pattern, slot.restOff, slot.pattern.length - slot.restOff, channel, off + depth, len - depth)
        ) {
          out[found++] = slot.entry;
        }
      }
      if (node.suffixRoot !== null && depth < len) {
        found = collectSuffixMatches(node.suffixRoot, channel, off + depth, len - depth, out, found);
      }

      if (depth === len || node.children === null) return found;
      const child = node.children.get(channel[off + depth]);
      if (child === undefined) return found;
      const childDepth = child.depth;
      if (childDepth > len) return found;
      const key = child.key;
      let k = depth + 1; // the first label byte matched the map key
      while (k < childDepth && key.charCodeAt(k) === channel[off + k]) k++;
      if (k < childDepth) return found;
      node = child;
    }
  }

  /**
   * Returns the node for `key` under `root`, creating it (and splitting an edge) if needed.
   * New nodes keep `key` as their key.
   */
  private insertPath(root: RadixNode<E>, key: string): RadixNode<E> {
    const keyLen = key.length;
    let node = root;
    let depth = 0;
    while (depth < keyLen) {
      const firstByte = key.charCodeAt(depth);
      let children = node.children;
      if (children === null) {
        children = new Map();
        node.children = children;
      }
      const child = children.get(firstByte);
      if (child === undefined) {
        const leaf = new RadixNode<E>(node, key, depth, keyLen);
        children.set(firstByte, leaf);
        this.nodeTotal++;
        return leaf;
      }
      const limit = Math.min(child.depth, keyLen);
      let k = depth + 1;
      while (k < limit && child.key.charCodeAt(k) === key.charCodeAt(k)) k++;
      if (k < child.depth) {
        const middle = new RadixNode<E>(node, child.key, depth, k);
        middle.children = new Map([[child.key.charCodeAt(k), child]]);
        child.parent = middle;
        child.labelStart = k;
        children.set(firstByte, middle);
        this.nodeTotal++;
        node = middle;
      } else {
        node = child;
      }
      depth = k;
    }
    return node;
  }

  /**
   * Walks up from `node` deleting nodes left with nothing, and merges a node left with a single
   * child into that child, so the tree stays compressed. Roots (parent null) are never removed.
   */
  private prune(node: RadixNode<E>): void {
    let current = node;
    while (current.parent !== null && current.slots.length === 0 && current.suffixRoot === null) {
      const parent = current.parent;
      const siblings = parent.children!;
      const firstByte = current.key.charCodeAt(current.labelStart);
      const children = current.children;
      if (children === null) {
        siblings.delete(firstByte);
        if (siblings.size === 0) parent.children = null;
        this.nodeTotal--;
        current = parent;
        continue;
      }
      if (children.size === 1) {
        for (const only of children.values()) {
          only.parent = parent;
          only.labelStart = current.labelStart;
          siblings.set(firstByte, only);
        }
        this.nodeTotal--;
      }
      return;
    }
  }
}

/**
 * Appends the SUFFIX entries under `suffixRoot` whose literal suffix ends the tail
 * channel[tailOff, tailOff+tailLen) (tailLen >= 1); returns the new count. Every node on the walk
 * is a match: its suffix is a suffix of the tail and no longer than it.
 */
function collectSuffixMatches<E>(
  suffixRoot: RadixNode<E>,
  channel: Uint8Array,
  tailOff: number,
  tailLen: number,
  out: E[],
  found: number,
): number {
  const lastByte = tailOff + tailLen - 1; // key index k is compared with channel[lastByte - k]
  let node = suffixRoot;
  for (;;) {
    const depth = node.depth;
    if (depth === tailLen || node.children === null) return found;
    const child = node.children.get(channel[lastByte - depth]);
    if (child === undefined) return found;
    const childDepth = child.depth;
    if (childDepth > tailLen) return found;
    const key = child.key;
    let k = depth + 1;
    while (k < childDepth && key.charCodeAt(k) === channel[lastByte - k]) k++;
    if (k < childDepth) return found;
    node = child;
    const slots = node.slots;
    for (let i = 0; i < slots.length; i++) out[found++] = slots[i].entry;
  }
}
