// Boot time from the addon: CLOCK_REALTIME − CLOCK_MONOTONIC at nanosecond
// resolution, read now (so a long-running follower tracks clock steps).
import {monotonic, realtime} from '../native/index.js'

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
