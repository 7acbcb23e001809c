/**
 * Latency histogram for the load generator (runs in generator processes and in the coordinator).
 *
 * HDR-style log-linear buckets over whole microseconds: values below 256 µs each have their own
 * bucket (exact); above that every power of two is split into 128 buckets, so a reported value is
 * at most 1/128 (0.8 %) above the true one. Recording is one Math.clz32 and one array increment:
 * no allocation per sample. Histograms from several processes merge by adding counts, which is why
 * this is used instead of sorted samples.
 *
 *   value (µs)        bucket index
 *   0 .. 255          0 .. 255                 (exact)
 *   256 .. 511        256 .. 383               (width 2)
 *   512 .. 1023       384 .. 511               (width 4)   ... up to 2^31 µs (35 minutes)
 *
 * Invariants: `count` is the sum of all bucket counts; `max`/`min` are the exact extremes recorded
 * (not bucket edges); percentiles report the highest value of the bucket they fall in.
 */

const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 128 buckets per power of two
const LINEAR_LIMIT = SUB_BUCKET_COUNT * 2; // 256: below this, one bucket per µs
const MAX_TRACKABLE_US = 2 ** 31 - 1;
const BUCKET_COUNT = LINEAR_LIMIT + (31 - SUB_BUCKET_BITS - 1) * SUB_BUCKET_COUNT;

/** A histogram as it travels between processes: only the non-empty buckets. */
export interface HistogramSnapshot {
  /** Pairs [bucketIndex, count]. */
  buckets: Array<[number, number]>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export interface LatencySummary {
  samples: number;
  minUs: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  sumUs = 0;
  minUs = Infinity;
  maxUs = 0;

  /** Records one latency in microseconds. Negative values (clock skew) are recorded as 0. */
  record(valueUs: number): void {
    let v = valueUs > 0 ? Math.round(valueUs) : 0;
    if (v > MAX_TRACKABLE_US) v = MAX_TRACKABLE_US;
    this.counts[bucketIndex(v)]++;
    this.count++;
    this.sumUs += v;
    if (v < this.minUs) this.minUs = v;
    if (v > this.maxUs) this.maxUs = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, sumUs: this.sumUs, minUs: this.count === 0 ? 0 : this.minUs, maxUs: this.maxUs };
  }

  merge(other: HistogramSnapshot): void {
    if (other.count === 0) return;
    for (const [index, n] of other.buckets) this.counts[index] += n;
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /**
   * The value below or at which `fraction` (0..1) of the samples fall: the highest value of the
   * bucket holding the ceil(fraction * count)-th sample, capped at the exact maximum. 0 when empty.
   */
  percentile(fraction: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(bucketHighestValue(i), this.maxUs);
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    return {
      samples: this.count,
      minUs: this.count === 0 ? 0 : this.minUs,
      meanUs: this.count === 0 ? 0 : this.sumUs / this.count,
      p50Us: this.percentile(0.5),
      p90Us: this.percentile(0.9),
      p99Us: this.percentile(0.99),
      p999Us: this.percentile(0.999),
      maxUs: this.maxUs,
    };
  }
}

function bucketIndex(v: number): number {
  if (v < LINEAR_LIMIT) return v;
  const shift = 31 - Math.clz32(v) - SUB_BUCKET_BITS; // >= 1
  return LINEAR_LIMIT + (shift - 1) * SUB_BUCKET_COUNT + ((v >>> shift) - SUB_BUCKET_COUNT);
}

function bucketHighestValue(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const shift = ((index - LINEAR_LIMIT) >>> SUB_BUCKET_BITS) + 1;
  const subBucket = ((index - LINEAR_LIMIT) & (SUB_BUCKET_COUNT - 1)) + SUB_BUCKET_COUNT;
  return (subBucket + 1) * 2 ** shift - 1;
}
