/**
 * Doorbells: the cross-thread wake-up of ringcast. A bell is one Int32 word in a SharedArrayBuffer,
 * each on its own 64-byte line, with exactly ONE sleeper at a time (a worker blocking in sleep(); the
 * main thread either armed with sleepAsync() or, briefly, blocking in sleep() with a sub-millisecond
 * timeout, never both at once) and any number of ringers. Rings call ring() after publish() /
 * release() (src/shm/ring.ts); several rings may share one bell: the main thread has one bell that
 * every worker rings, because it waits on all of its rings at once.
 *
 * Protocol (node-budget.md §1: "the futex word is the flag itself"), W = the bell word:
 *   sleeper: store(W, 1); if (!hasWork()) wait(W, 1); store(W, 0)
 *   ringer:  (data already published)  if (load(W) !== 0 && exchange(W, 0) !== 0) notify(W)
 * Why it loses no wake-up: Atomics are sequentially consistent, so either the sleeper's hasWork()
 * sees the ringer's data, or the ringer's load sees W = 1. And whoever clears W also notifies, while
 * wait(W, 1) compares atomically, so a clear between the check and the wait makes the wait return at
 * once. A stale ringer that clears the W = 1 of a LATER sleep only causes a spurious wake-up (the
 * sleeper re-checks). The first version flagged sleep in a separate word and waited on TAIL; its CAS
 * could clear a later sleep's flag without a notify, and it lost wake-ups (3 one-second timeouts per
 * 500 k records). Every access to W goes through Atomics: plain stores failed a Dekker litmus 2% of
 * the time.
 *
 * Costs on our 2-core VM (node-budget.md):
 * - ring() on a bell nobody sleeps on: one Atomics.load, about 28 ns. With a sleeper: + exchange
 *   (28 ns) + notify (about 100 ns without a waiter) on the ringer, and the wake-up itself.
 * - Atomics.wait (worker, sleep()): one-way wake latency 11.5 us median / 39 us p99 from idle (a
 *   halted vCPU needs an IPI and a VM entry), 4.5 us / 11.5 us when the other core is busy.
 * - Atomics.waitAsync (main thread, sleepAsync()): 15 us median one-way to main from idle, and 3-8 us
 *   of main-thread CPU per resolution (5.6 us to create and resolve one); under socket load its p99
 *   becomes the event-loop turn (about 0.3 ms), since resolution queues behind I/O callbacks. So arm
 *   it only after every ring was found empty, and while the loop is busy poll the rings once per
 *   turn instead of re-arming.
 * - Never give waitAsync a timeout: each one leaves a delayed platform task behind even after the
 *   wait resolved; with 1 s timeouts resolutions collapsed from ~100 k/s to 200-3,500/s after a
 *   second, with 100 s timeouts RSS doubled in 4 s.
 * - A pending waitAsync does not keep the process alive; the owner keeps a ref'd handle (a worker,
 *   a server).
 * Aim for >= 30-100 records per wake-up and at most 10-20 k wake-ups/s per direction.
 */

const AWAKE = 0;
const SLEEPING = 1;
const BELL_STRIDE_BYTES = 64;
const BELL_STRIDE_WORDS = BELL_STRIDE_BYTES / 4;

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync is in ES2024's lib, and the project compiles against ES2023; Node 20 has it. */
const atomicsWithWaitAsync = Atomics as unknown as {
  waitAsync(typedArray: Int32Array, index: number, value: number): WaitAsyncResult;
};

/** `count` bells, all awake; bell i is the Int32 at byte 64 * i. Throws RangeError unless count is an integer >= 1. */
export function createDoorbellBuffer(count: number): SharedArrayBuffer {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`doorbell count must be an integer >= 1, got ${count}`);
  }
  return new SharedArrayBuffer(count * BELL_STRIDE_BYTES);
}

export class Doorbell {
  private readonly words: Int32Array;
  private readonly wordIndex: number;
  private armed = false;
  private pendingOnWake: (() => void) | null = null;
  /** Allocated once so that arming allocates nothing beyond waitAsync's own promise. */
  private readonly onRung = (): void => {
    this.armed = false;
    Atomics.store(this.words, this.wordIndex, AWAKE);
    const onWake = this.pendingOnWake!;
    this.pendingOnWake = null;
    onWake();
  };

  constructor(sab: SharedArrayBuffer, index: number) {
    if (!(sab instanceof SharedArrayBuffer)) {
      throw new TypeError('a doorbell must live in a SharedArrayBuffer made by createDoorbellBuffer()');
    }
    const count = Math.floor(sab.byteLength / BELL_STRIDE_BYTES);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new RangeError(`doorbell index must be an integer in [0, ${count - 1}], got ${index}`);
    }
    this.words = new Int32Array(sab);
    this.wordIndex = index * BELL_STRIDE_WORDS;
  }

  /**
   * Announces the sleep, re-checks hasWork(), and blocks in Atomics.wait until rung or timeoutMs
   * (default: no limit) passed. Returns false only when the wait timed out, so a caller can tell a
   * shutdown poll (or, in tests, a lost wake-up) from a ring. Workers sleep here. On the main thread
   * it blocks the event loop, so the main thread uses it only with a short timeout and only while
   * no sleepAsync() is armed on the same bell (src/routing/router.ts, waitForAnswer): notify wakes
   * one waiter, and the other would miss the ring.
   */
  sleep(hasWork: () => boolean, timeoutMs?: number): boolean {
    Atomics.store(this.words, this.wordIndex, SLEEPING);
    let rungOrBusy = true;
    if (!hasWork()) {
      rungOrBusy = Atomics.wait(this.words, this.wordIndex, SLEEPING, timeoutMs) !== 'timed-out';
    }
    Atomics.store(this.words, this.wordIndex, AWAKE);
    return rungOrBusy;
  }

  /**
   * Main-thread side: announces the sleep, re-checks hasWork(), then arms Atomics.waitAsync (no
   * timeout, see the header). onWake runs once: from the resolved wait when rung, or on the next
   * microtask when hasWork() was true or a ring landed between the check and the arm. A call while
   * armed is a no-op (its onWake is dropped). onWake must not throw: it runs in a promise reaction.
   */
  sleepAsync(hasWork: () => boolean, onWake: () => void): void {
    if (this.armed) return;
    Atomics.store(this.words, this.wordIndex, SLEEPING);
    if (hasWork()) {
      Atomics.store(this.words, this.wordIndex, AWAKE);
      queueMicrotask(onWake);
      return;
    }
    const result = atomicsWithWaitAsync.waitAsync(this.words, this.wordIndex, SLEEPING);
    if (!result.async) {
      // 'not-equal': a ringer already cleared the word, and with it our announcement.
      queueMicrotask(onWake);
      return;
    }
    this.armed = true;
    this.pendingOnWake = onWake;
    void result.value.then(this.onRung);
  }

  ring(): void {
    if (
      Atomics.load(this.words, this.wordIndex) !== AWAKE &&
      Atomics.exchange(this.words, this.wordIndex, AWAKE) !== AWAKE
    ) {
      Atomics.notify(this.words, this.wordIndex, 1);
    }
  }
}
