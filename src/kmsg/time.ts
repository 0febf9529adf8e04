// Wall-clock time of kernel records: boot time (CLOCK_REALTIME − CLOCK_MONOTONIC,
// read from the addon at nanosecond resolution) plus the record's usec.
import {monotonic, realtime} from '../native/index.js'
import {formatRfc3339Nano} from '../protocol/time.js'

const NS = 1_000_000_000n

function nanos(t: Float64Array): bigint {
  return BigInt(t[0]) * NS + BigInt(t[1])
}

/** Boot time as Unix nanoseconds. Realtime is sampled on both sides of monotonic and averaged. */
export function bootTimeNs(): bigint {
  const r1 = nanos(realtime())
  const m = nanos(monotonic())
  const r2 = nanos(realtime())
  return (r1 + r2) / 2n - m
}

/** Unix nanoseconds of a record. */
export function recordTimeNs(usec: bigint, bootNs: bigint): bigint {
  return bootNs + usec * 1000n
}

/** RFC 3339 UTC with nanoseconds (trailing zeros trimmed, as Go's RFC3339Nano). */
export function formatNs(ns: bigint): string {
  let sec = ns / NS
  let rem = ns % NS
  if (rem < 0n) {
    sec -= 1n
    rem += NS
  }
  return formatRfc3339Nano(Number(sec), Number(rem))
}
