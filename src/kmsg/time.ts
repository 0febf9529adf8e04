// Wall-clock time of kernel records: boot time (CLOCK_REALTIME − CLOCK_MONOTONIC)
// plus the record's usec. No addon here: --dump must not pay for loading it.
import {formatRfc3339Nano} from '../protocol/time.js'

const NS = 1_000_000_000n

/**
 * Boot time without the addon, for one-shot dumps: Node stamps its start with
 * gettimeofday (µs) and CLOCK_MONOTONIC (uv_hrtime), so realtime − monotonic
 * is timeOrigin + performance.now() − hrtime, at microsecond precision. It is
 * the realtime clock as of process start: right for a dump, not for a
 * follower that runs across clock steps (that one uses bootTimeNs()).
 */
export function bootTimeNsAtStart(): bigint {
  const originNs = BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n
  const elapsedNs = BigInt(Math.round(performance.now() * 1e6))
  return originNs + elapsedNs - process.hrtime.bigint()
}

let cachedBoot = -1n
let bootInRange = false
let bootSec = 0
let bootNsec = 0

const MAX_SAFE_USEC = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * RFC 3339 time of a record from its usec, in float-free Number arithmetic:
 * the per-record hot path of a dump (BigInt division allocates on every call).
 */
export function formatRecordTime(usec: bigint, bootNs: bigint): string {
  if (usec > MAX_SAFE_USEC) return formatNs(recordTimeNs(usec, bootNs))
  if (bootNs !== cachedBoot) {
    cachedBoot = bootNs
    const split = splitBootTime(bootNs)
    bootInRange = split !== undefined
    ;[bootSec, bootNsec] = split ?? [0, 0]
  }
  if (!bootInRange) return formatNs(recordTimeNs(usec, bootNs))
  return formatRecordTimeSplit(Number(usec), bootSec, bootNsec)
}

/**
 * Boot time as [seconds, nanoseconds] Numbers for formatRecordTimeSplit, or
 * undefined when it is out of the range that arithmetic covers (a clock far
 * off: use formatRecordTime, which says it as Unix seconds).
 */
export function splitBootTime(bootNs: bigint): [number, number] | undefined {
  if (bootNs < 0n || bootNs > 4_000_000_000_000_000_000n) return undefined
  return [Number(bootNs / NS), Number(bootNs % NS)]
}

/** The time of a record at usec (a safe integer) after a boot time split by splitBootTime. */
export function formatRecordTimeSplit(usec: number, bootSec: number, bootNsec: number): string {
  const us = usec % 1_000_000
  let sec = bootSec + (usec - us) / 1_000_000
  let nsec = bootNsec + us * 1000
  if (nsec >= 1_000_000_000) {
    nsec -= 1_000_000_000
    sec += 1
  }
  return formatRfc3339Nano(sec, nsec)
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
  // RFC 3339 stops at year 9999; a nonsense usec must not crash a dump, so say it as Unix seconds.
  if (sec > MAX_RFC3339_SEC) return `@${sec}.${rem.toString().padStart(9, '0')}`
  return formatRfc3339Nano(Number(sec), Number(rem))
}

const MAX_RFC3339_SEC = 253_402_300_799n // 9999-12-31T23:59:59Z
