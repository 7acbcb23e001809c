/**
 * The command table: every command's name, arity, flags and handler, after Redis's command table
 * (src/commands/*.json). COMMAND INFO / COUNT / DOCS are generated from it.
 *
 * Lookup works on the raw name bytes: a hash of the lower-cased bytes picks the candidate, then the
 * bytes are compared, so looking up PUBLISH on the hot path allocates no string.
 */
import type { CommandContext } from './context.js';

export type Handler = (ctx: CommandContext) => void;

export interface CommandSpec {
  /** Lower-case name; for subcommands the subcommand alone ("numsub"). */
  name: string;
  /** Redis convention: n = exactly n arguments including the name; -n = at least n. */
  arity: number;
  /** Redis command flags, for COMMAND INFO (e.g. "pubsub", "fast", "loading", "stale"). */
  flags: string[];
  /** ACL categories without the '@' ("pubsub", "slow"). */
  acl: string[];
  group: string;
  summary: string;
  since: string;
  /** Allowed for a RESP2 client in pub/sub mode ((P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET). */
  pubsubContext?: boolean;
  /** Not shown to MONITOR clients (admin commands, as in Redis). */
  skipMonitor?: boolean;
  /** First/last key position and step, for COMMAND INFO (0 when the command takes no key). */
  keys?: [number, number, number];
  handler?: Handler;
  /** Container commands (PUBSUB, CLIENT, CONFIG...). */
  subcommands?: CommandSpec[];
  /** Set when registered: "pubsub|numsub". */
  fullName?: string;
  parent?: CommandSpec;
}

function lowerHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let b = bytes[i];
    if (b >= 65 && b <= 90) b |= 0x20;
    h = Math.imul(h ^ b, 0x01000193);
  }
  return h >>> 0;
}

function sameName(name: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let b = bytes[start + i];
    if (b >= 65 && b <= 90) b |= 0x20;
    if (b !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** A name -> spec map keyed by hash of the lower-cased bytes. */
class NameIndex {
  private readonly byHash = new Map<number, CommandSpec[]>();

  add(spec: CommandSpec): void {
    const b = Buffer.from(spec.name, 'latin1');
    const h = lowerHash(b, 0, b.length);
    const list = this.byHash.get(h);
    if (list) list.push(spec);
    else this.byHash.set(h, [spec]);
  }

  find(bytes: Uint8Array, start: number, end: number): CommandSpec | undefined {
    if (end - start > 64) return undefined;
    const list = this.byHash.get(lowerHash(bytes, start, end));
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (sameName(list[i].name, bytes, start, end)) return list[i];
    return undefined;
  }
}

export class CommandTable {
  readonly all: CommandSpec[] = [];
  private readonly index = new NameIndex();
  private readonly subIndex = new Map<CommandSpec, NameIndex>();

  register(specs: CommandSpec[]): void {
    for (const spec of specs) {
      spec.fullName = spec.name;
      this.all.push(spec);
      this.index.add(spec);
      if (spec.subcommands) {
        const sub = new NameIndex();
        for (const s of spec.subcommands) {
          s.fullName = `${spec.name}|${s.name}`;
          s.parent = spec;
          sub.add(s);
        }
        this.subIndex.set(spec, sub);
      }
    }
  }

  lookup(bytes: Uint8Array, start: number, end: number): CommandSpec | undefined {
    return this.index.find(bytes, start, end);
  }

  lookupSub(parent: CommandSpec, bytes: Uint8Array, start: number, end: number): CommandSpec | undefined {
    return this.subIndex.get(parent)?.find(bytes, start, end);
  }

  /** By full name text ("pubsub|numsub" or "publish"), case-insensitive; for COMMAND INFO/DOCS. */
  byName(name: string): CommandSpec | undefined {
    const [top, sub] = name.toLowerCase().split('|');
    const spec = this.all.find((s) => s.name === top);
    if (!spec || sub === undefined) return spec;
    return spec.subcommands?.find((s) => s.name === sub);
  }
}
