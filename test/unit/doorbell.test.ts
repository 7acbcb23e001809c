// Single-thread behaviour of the doorbell (src/shm/doorbell.ts): the flag protocol on the bell word,
// sleep's timeout report, and sleepAsync's arming rules. Cross-thread wake-ups are exercised in
// test/concurrency/ring-threads.test.ts.
import { describe, expect, it } from 'vitest';
import { createDoorbellBuffer, Doorbell } from '../../src/shm/doorbell.js';

function bellWord(sab: SharedArrayBuffer, index: number): number {
  return Atomics.load(new Int32Array(sab), index * 16);
}

/** Resolves after the current microtasks and one macrotask turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits (bounded: at most ~1 s of 1 ms timers) until condition() holds. A waitAsync woken by a
 * notify resolves from a task V8 posts to the event loop, so it may take more than one turn.
 */
async function eventually(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !condition(); turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('createDoorbellBuffer', () => {
  it('gives each bell its own 64-byte line', () => {
    expect(createDoorbellBuffer(3).byteLength).toBe(3 * 64);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a count of %s', (count) => {
    expect(() => createDoorbellBuffer(count)).toThrow(RangeError);
  });

  it('refuses an index outside the buffer', () => {
    const sab = createDoorbellBuffer(2);
    expect(() => new Doorbell(sab, 2)).toThrow(RangeError);
    expect(() => new Doorbell(sab, -1)).toThrow(RangeError);
    expect(() => new Doorbell(sab, 1)).not.toThrow();
  });
});

describe('Doorbell.ring', () => {
  it('leaves a bell nobody sleeps on untouched', () => {
    const sab = createDoorbellBuffer(1);
    new Doorbell(sab, 0).ring();
    expect(bellWord(sab, 0)).toBe(0);
  });

  it('clears the announcement of a sleeper, and only on its own bell', () => {
    const sab = createDoorbellBuffer(2);
    const words = new Int32Array(sab);
    Atomics.store(words, 0, 1);
    Atomics.store(words, 16, 1);
    new Doorbell(sab, 1).ring();
    expect(bellWord(sab, 0)).toBe(1);
    expect(bellWord(sab, 1)).toBe(0);
  });
});

describe('Doorbell.sleep (worker side)', () => {
  it('announces the sleep before it checks for work', () => {
    const sab = createDoorbellBuffer(1);
    let wordDuringCheck = -1;
    new Doorbell(sab, 0).sleep(() => {
      wordDuringCheck = bellWord(sab, 0);
      return true;
    });
    expect(wordDuringCheck).toBe(1);
  });

  it('returns true at once without waiting when there is work, and leaves the bell awake', () => {
    const sab = createDoorbellBuffer(1);
    expect(new Doorbell(sab, 0).sleep(() => true)).toBe(true);
    expect(bellWord(sab, 0)).toBe(0);
  });

  it('does not block when a ring lands between the check and the wait', () => {
    const sab = createDoorbellBuffer(1);
    const bell = new Doorbell(sab, 0);
    // A lost ring shows as a 5 s timeout (false), not as a hang.
    const woken = bell.sleep(() => {
      bell.ring();
      return false;
    }, 5000);
    expect(woken).toBe(true);
    expect(bellWord(sab, 0)).toBe(0);
  });

  it('reports a timeout as false and leaves the bell awake', () => {
    const sab = createDoorbellBuffer(1);
    expect(new Doorbell(sab, 0).sleep(() => false, 1)).toBe(false);
    expect(bellWord(sab, 0)).toBe(0);
  });
});

describe('Doorbell.sleepAsync (main-thread side)', () => {
  it('calls onWake on a microtask, not synchronously, when there is work after arming', async () => {
    const sab = createDoorbellBuffer(1);
    let wakeCount = 0;
    new Doorbell(sab, 0).sleepAsync(
      () => true,
      () => wakeCount++,
    );
    expect(wakeCount).toBe(0);
    await Promise.resolve();
    expect(wakeCount).toBe(1);
    expect(bellWord(sab, 0)).toBe(0);
  });

  it('stays asleep until rung, then calls onWake once and leaves the bell awake', async () => {
    const sab = createDoorbellBuffer(1);
    const bell = new Doorbell(sab, 0);
    let wakeCount = 0;
    bell.sleepAsync(
      () => false,
      () => wakeCount++,
    );
    expect(bellWord(sab, 0)).toBe(1);
    await nextTurn();
    expect(wakeCount).toBe(0);

    bell.ring();
    await eventually(() => wakeCount > 0);
    expect(wakeCount).toBe(1);
    expect(bellWord(sab, 0)).toBe(0);
    bell.ring();
    await nextTurn();
    expect(wakeCount).toBe(1);
  });

  it('a second arm while armed is a no-op, and the bell can be armed again after the wake', async () => {
    const sab = createDoorbellBuffer(1);
    const bell = new Doorbell(sab, 0);
    const wakes: string[] = [];
    bell.sleepAsync(
      () => false,
      () => wakes.push('first'),
    );
    bell.sleepAsync(
      () => true,
      () => wakes.push('ignored'),
    );
    bell.ring();
    await eventually(() => wakes.length > 0);
    await nextTurn();
    expect(wakes).toEqual(['first']);

    bell.sleepAsync(
      () => false,
      () => wakes.push('second'),
    );
    bell.ring();
    await eventually(() => wakes.length > 1);
    expect(wakes).toEqual(['first', 'second']);
  });

  it('a ring between the check and the arm wakes on the next microtask instead of being lost', async () => {
    const sab = createDoorbellBuffer(1);
    const bell = new Doorbell(sab, 0);
    let wakeCount = 0;
    bell.sleepAsync(
      () => {
        bell.ring();
        return false;
      },
      () => wakeCount++,
    );
    await Promise.resolve();
    expect(wakeCount).toBe(1);
    bell.sleepAsync(
      () => false,
      () => wakeCount++,
    );
    bell.ring();
    await eventually(() => wakeCount > 1);
    expect(wakeCount).toBe(2);
  });
});
