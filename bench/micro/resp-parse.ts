/**
 * Micro-benchmark: RespParser on a pipeline of 1000 `PUBLISH chan <64-byte payload>` commands.
 *   baseline  - the whole pipeline in one chunk: every command is offsets into that chunk, no copy.
 *   candidate - the same bytes in 1460-byte chunks (one TCP segment each): nearly every chunk ends
 *               inside a command, so the straddling path (tail copied into scratch) runs per chunk.
 * One parser per task is reused across iterations, as a connection reuses its parser.
 * Run: npm run build && node dist/bench/micro/resp-parse.js
 */
import { Bench } from 'tinybench';
import { PARSE_COMMAND, PARSE_NEED_MORE, RespParser, type ParserLimits } from '../../src/protocol/resp-parser.js';

const COMMAND_COUNT = 1000;
const SEGMENT_BYTES = 1460;
const LIMITS: ParserLimits = { maxBulkBytes: 536870912, maxQueryBufferBytes: 1073741824 };

const pipeline = Buffer.from(`*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$64\r\n${'x'.repeat(64)}\r\n`.repeat(COMMAND_COUNT));
const segments: Buffer[] = [];
for (let offset = 0; offset < pipeline.length; offset += SEGMENT_BYTES) {
  segments.push(pipeline.subarray(offset, offset + SEGMENT_BYTES));
}

/** Feeds the chunks, drains every command, and checks that all of them came out. */
function parseChunks(parser: RespParser, chunks: Buffer[]): number {
  let commands = 0;
  let argBytes = 0;
  for (const chunk of chunks) {
    parser.feed(chunk);
    let status = parser.next();
    while (status === PARSE_COMMAND) {
      commands++;
      argBytes += parser.argEnd[2] - parser.argStart[2];
      status = parser.next();
    }
    if (status !== PARSE_NEED_MORE) throw new Error(`unexpected parser status ${status}`);
  }
  if (commands !== COMMAND_COUNT) throw new Error(`parsed ${commands} commands, expected ${COMMAND_COUNT}`);
  return argBytes;
}

const wholeParser = new RespParser({ ...LIMITS });
const segmentParser = new RespParser({ ...LIMITS });
const bench = new Bench({ name: `RespParser: ${COMMAND_COUNT} pipelined PUBLISH commands (${pipeline.length} bytes)`, time: 1000 });
bench
  .add('one chunk (baseline)', () => {
    parseChunks(wholeParser, [pipeline]);
  })
  .add(`${SEGMENT_BYTES}-byte chunks`, () => {
    parseChunks(segmentParser, segments);
  });

await bench.run();
console.log(bench.name);
console.table(bench.table());
