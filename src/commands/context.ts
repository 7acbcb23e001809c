/**
 * What a command handler sees (main thread): the client, its arguments as offsets into the parser's
 * buffer (no copy unless the handler asks for one), and the broker's services.
 *
 * One CommandContext is reused for every command the broker runs: handlers must not keep it, or
 * the argument bytes, beyond their return.
 */
import type { Config } from '../config.js';
import type { Client } from '../transport/client.js';
import type { ClientRegistry } from '../transport/client-registry.js';
import type { Router } from '../routing/router.js';
import type { Keyspace } from '../store/keyspace.js';
import type { WatchRegistry } from './transactions.js';
import type { Persistence } from '../store/persistence.js';

/** Services command handlers use; the broker provides them. */
export interface BrokerServices {
  readonly config: Config;
  readonly clients: ClientRegistry;
  readonly router: Router;
  /** The databases: keys, values, expiry (src/store/keyspace.ts). */
  readonly keyspace: Keyspace;
  /** Clients in MONITOR mode. */
  readonly monitors: Set<Client>;
  /** WATCH bookkeeping. */
  readonly watches: WatchRegistry;
  /** The append-only log's glue (src/store/persistence.ts). */
  readonly persistence: Persistence;
  /** BGREWRITEAOF: emits the commands that recreate the keyspace now. */
  readonly snapshot: (emit: (db: number, args: Buffer[]) => void) => void;
  /** Listening address, for INFO and HELLO. */
  readonly tcpPort: () => number;
  /** SHUTDOWN: stop the broker as SIGTERM does (called after the command, never inside it). */
  readonly requestShutdown: () => void;
}

export class CommandContext {
  client!: Client;
  buf!: Buffer;
  argc = 0;
  argStart: number[] = [];
  argEnd: number[] = [];
  /** The full command name in Redis's form, lower case with `|` for subcommands ("pubsub|numsub"). */
  fullName = '';

  constructor(readonly broker: BrokerServices) {}

  argLength(i: number): number {
    return this.argEnd[i] - this.argStart[i];
  }

  /** Argument i as a Buffer view (valid only while the command runs). */
  arg(i: number): Buffer {
    return this.buf.subarray(this.argStart[i], this.argEnd[i]);
  }

  /** Argument i as UTF-8 text. */
  argString(i: number): string {
    return this.buf.toString('utf8', this.argStart[i], this.argEnd[i]);
  }

  /** Argument i as a latin1 string: one char per byte, the binary-safe key used for names. */
  argKey(i: number): string {
    return this.buf.toString('latin1', this.argStart[i], this.argEnd[i]);
  }

  /** True when argument i equals `word` ignoring ASCII case (word given in lower case). */
  argIs(i: number, word: string): boolean {
    const start = this.argStart[i];
    if (this.argEnd[i] - start !== word.length) return false;
    for (let k = 0; k < word.length; k++) {
      const b = this.buf[start + k];
      if ((b >= 65 && b <= 90 ? b | 0x20 : b) !== word.charCodeAt(k)) return false;
    }
    return true;
  }

  /**
   * Argument i as an integer the way Redis's string2ll accepts it (no spaces, no '+', no leading
   * zeros); null when it is not one.
   */
  argInteger(i: number): number | null {
    const text = this.buf.toString('latin1', this.argStart[i], this.argEnd[i]);
    if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return null;
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : null;
  }
}
