/**
 * Micro-benchmark: copying the short byte runs of the publish path (a channel name, a 64-byte
 * payload, a ~100-byte frame, a 1 KiB payload) from a socket chunk into ring memory, 1000 copies
 * per iteration at spread-out offsets.
 *   baseline  - copyBytes (src/codec/copy-bytes.ts): a byte loop up to 64 bytes, set(subarray) above.
 *   baseline  - `dst.set(src.subarray(start, end), at)` at every size.
 *   candidate - copyView (src/codec/copy-bytes.ts): 4 bytes per DataView get/set up to 256 bytes, a
 *               native set() above; the DataViews are made once, not per copy.
 * Measured on the 2-core VM (Node 20.20, medians, ns per copy as copyBytes / set(subarray) /
 * copyView; the destination lines are cold, as in a ring):
 *   8 B: 33 / 125 / 20;  64 B: 214 / 151 / 92;  100 B: 179 / 179 / 148;  1 KiB: 561 / 561 / 532.
 * Run: npm run build && node dist/bench/micro/byte-copy.js
 */
import { Bench } from 'tinybench';
import { copyBytes, copyView } from '../../src/codec/copy-bytes.js';
import { OutputBuffer } from '../../src/transport/output-buffer.js';

const COPIES_PER_ITERATION = 1000;
const RUN_BYTES = [8, 64, 100, 1024];

const ring = new SharedArrayBuffer(1 << 20);
const ringBytes = new Uint8Array(ring);
const ringView = new DataView(ring);
const chunk = Buffer.alloc(8192);
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
const chunkView = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** Where copy k lands: 1 KiB apart, so each copy touches fresh cache lines as a ring does. */
function target(k: number): number {
  return (k * 1024) & 0xfffff;
}

/** The bytes of the last copy must equal the source run (so no variant can skip work). */
function check(len: number): void {
  const at = target(COPIES_PER_ITERATION - 1);
  for (let i = 0; i < len; i++) {
    if (ringBytes[at + i] !== chunk[3 + i]) throw new Error(`copy of ${len} bytes differs at byte ${i}`);
  }
}

const bench = new Bench({ name: `${COPIES_PER_ITERATION} copies from a socket chunk into ring memory`, time: 500 });
for (const len of RUN_BYTES) {
  const start = 3;
  const end = start + len;
  bench
    .add(`${len} B: copyBytes (baseline)`, () => {
      for (let k = 0; k < COPIES_PER_ITERATION; k++) copyBytes(chunk, start, end, ringBytes, target(k));
      check(len);
    })
    .add(`${len} B: set(subarray) (baseline)`, () => {
      for (let k = 0; k < COPIES_PER_ITERATION; k++) ringBytes.set(chunk.subarray(start, end), target(k));
      check(len);
    })
    .add(`${len} B: copyView (candidate)`, () => {
      for (let k = 0; k < COPIES_PER_ITERATION; k++) copyView(chunkView, start, end, ringView, target(k));
      check(len);
    });
}

// Fan-out: one frame from ring memory into 100 recipients' staging buffers (router applyGroups).
//   baseline  - OutputBuffer.appendFromView per recipient (copyView through the ring's DataView).
//   candidate - OutputBuffer.appendWhole per recipient, from one view of the frame made per group.
// Every 64 frames the outputs are taken, as a turn's flush would, and their size checked.
const RECIPIENTS = 100;
const FRAMES_PER_TURN = 64;
const fanout = new Bench({ name: `one frame into ${RECIPIENTS} OutputBuffers`, time: 500 });

function fanoutTask(frameBytes: number, append: (out: OutputBuffer, start: number, end: number) => void): () => void {
  const outputs = Array.from({ length: RECIPIENTS }, () => new OutputBuffer());
  let frames = 0;
  return () => {
    for (const out of outputs) append(out, 64, 64 + frameBytes);
    if (++frames < FRAMES_PER_TURN) return;
    frames = 0;
    for (const out of outputs) {
      let bytes = 0;
      for (const piece of out.take()) bytes += piece.length;
      if (bytes !== FRAMES_PER_TURN * frameBytes) throw new Error(`output holds ${bytes} bytes, expected ${FRAMES_PER_TURN * frameBytes}`);
      out.afterWrite(true);
    }
  };
}

for (const len of [40, 100, 200]) {
  // The candidate's view is made once per group: here once per call, shared by the 100 appends.
  let frame = ringBytes.subarray(64, 64 + len);
  fanout
    .add(`${len} B frame: appendFromView (baseline)`, fanoutTask(len, (out, start, end) => out.appendFromView(ringView, start, end)))
    .add(`${len} B frame: appendWhole of one view (candidate)`, fanoutTask(len, (out, start, end) => {
      if (frame.byteOffset !== start || frame.length !== end - start) frame = ringBytes.subarray(start, end);
      out.appendWhole(frame);
    }));
}

await bench.run();
console.log(bench.name);
console.table(bench.table());
await fanout.run();
console.log(fanout.name);
console.table(fanout.table());
