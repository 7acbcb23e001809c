/**
 * The thread boundary between the main thread and a partition worker: every record type that
 * crosses a ring, its byte layout, and the encodings a subscriber can ask for. Both sides import
 * this file and nothing else about each other (STYLE example 8).
 *
 * All numeric fields are little-endian u32 at 4-byte-aligned offsets inside the record payload
 * (the ring aligns every payload to 8). Byte strings (channel, pattern, payload, frame) are
 * length-prefixed and padded to 4 so the next field stays aligned.
 *
 *   main -> worker ("ops")                        worker -> main ("results")
 *   ---------------------                         --------------------------
 *   OP_SUBSCRIBE    fire and forget               (none)
 *   OP_UNSUBSCRIBE  fire and forget               (none)
 *   OP_PSUBSCRIBE   broadcast, fire and forget    (none)
 *   OP_PUNSUBSCRIBE broadcast, fire and forget    (none)
 *   OP_PUBLISH      -> one or more R_DELIVERY records, the last with FLAG_FINAL
 *   OP_CHANNELS     -> R_NAMES  (the active channels this partition owns, glob-filtered)
 *   OP_NUMSUB       -> R_COUNTS (one count per asked channel; 0 for channels owned elsewhere)
 *   OP_NUMPAT       -> R_COUNTS (one count: distinct patterns)
 *   OP_STATS        -> R_COUNTS (channels owned, shard channels owned, distinct patterns)
 *   OP_STOP         the worker returns from its loop
 *
 * Invariant the main thread's ordering rests on: a worker emits result records only in answer to
 * ops that expect them, in the order it received those ops, and the last record of each answer
 * carries FLAG_FINAL. See docs/architecture.md, "Ordering".
 */

// ---- op types (main -> worker) -------------------------------------------------------------
export const OP_SUBSCRIBE = 1;
export const OP_UNSUBSCRIBE = 2;
export const OP_PSUBSCRIBE = 3;
export const OP_PUNSUBSCRIBE = 4;
export const OP_PUBLISH = 5;
export const OP_CHANNELS = 6;
export const OP_NUMSUB = 7;
export const OP_NUMPAT = 8;
export const OP_STATS = 9;
export const OP_STOP = 10;

// ---- result types (worker -> main) ---------------------------------------------------------
export const R_DELIVERY = 101;
export const R_NAMES = 102;
export const R_COUNTS = 103;

/** Set in the flags word of the last record of an answer. */
export const FLAG_FINAL = 1;
/** Set in the flags word of the first record of an answer (R_DELIVERY: the count is valid). */
export const FLAG_FIRST = 2;

// ---- namespaces ----------------------------------------------------------------------------
/** SUBSCRIBE / PUBLISH channels. */
export const SPACE_GLOBAL = 0;
/** SSUBSCRIBE / SPUBLISH shard channels: a namespace disjoint from the global one. */
export const SPACE_SHARD = 1;

// ---- frame encodings -----------------------------------------------------------------------
// What a subscriber's frames look like on the wire. The transport (TCP, WebSocket) only moves
// bytes; the encoding is chosen per connection and carried in every subscription op.
export const ENC_RESP2 = 0;
export const ENC_RESP3 = 1;
/** WebSocket `json` subprotocol: one JSON text message per frame (see src/partition/frames.ts). */
export const ENC_JSON = 2;
/** WebSocket `msgpack` subprotocol: one msgpack array per frame, payload as binary. */
export const ENC_MSGPACK = 3;
export const ENCODING_COUNT = 4;

// ---- layouts -------------------------------------------------------------------------------
//
// OP_SUBSCRIBE / OP_UNSUBSCRIBE / OP_PSUBSCRIBE / OP_PUNSUBSCRIBE
//   +0 clientId u32 | +4 space u32 | +8 encoding u32 | +12 nameLen u32 | +16 name bytes
export const SUB_CLIENT = 0;
export const SUB_SPACE = 4;
export const SUB_ENCODING = 8;
export const SUB_NAME_LEN = 12;
export const SUB_NAME = 16;

// OP_PUBLISH
//   +0 space u32 | +4 payloadHeld u32 (1: the payload stays on the main thread) |
//   +8 channelLen u32 | +12 payloadLen u32 | +16 channel (pad 4) | payload (when not held)
export const PUB_SPACE = 0;
export const PUB_HELD = 4;
export const PUB_CHANNEL_LEN = 8;
export const PUB_PAYLOAD_LEN = 12;
export const PUB_CHANNEL = 16;

// OP_CHANNELS
//   +0 space u32 | +4 hasPattern u32 | +8 patternLen u32 | +12 pattern bytes
export const CHANNELS_SPACE = 0;
export const CHANNELS_HAS_PATTERN = 4;
export const CHANNELS_PATTERN_LEN = 8;
export const CHANNELS_PATTERN = 12;

// OP_NUMSUB
//   +0 space u32 | +4 count u32 | then count x (len u32, bytes pad 4)
export const NUMSUB_SPACE = 0;
export const NUMSUB_COUNT = 4;
export const NUMSUB_NAMES = 8;

// R_DELIVERY
//   +0 flags u32 | +4 receivers u32 (the PUBLISH reply; valid with FLAG_FIRST) | +8 groupCount u32 |
//   +12 groups...
//   group: +0 encoding u32 | +4 frameLen u32 | +8 recipientCount u32 | +12 frame (pad 4) | ids u32...
//   When the op's payload is held on the main thread, each frame stops right before the payload
//   bytes: the main thread appends the payload and the encoding's trailer itself.
export const DLV_FLAGS = 0;
export const DLV_RECEIVERS = 4;
export const DLV_GROUPS = 8;
export const DLV_FIRST_GROUP = 12;
export const GROUP_ENCODING = 0;
export const GROUP_FRAME_LEN = 4;
export const GROUP_RECIPIENTS = 8;
export const GROUP_FRAME = 12;

// R_NAMES
//   +0 flags u32 | +4 count u32 | then count x (len u32, bytes pad 4)
// R_COUNTS
//   +0 flags u32 | +4 count u32 | then count x u32
export const LIST_FLAGS = 0;
export const LIST_COUNT = 4;
export const LIST_ITEMS = 8;

/** Rounds a byte length up to the next multiple of 4. */
export function pad4(bytes: number): number {
  return (bytes + 3) & ~3;
}
