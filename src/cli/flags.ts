// Flag types shared by the commands: paths that must not be empty (an empty
// string silently meant "the current directory" or a bogus socket), sizes
// with units, and durations a Node timer can actually hold.

import {Errors, Flags} from '@oclif/core'
import {MAX_TIMER_MS, parseByteSize, parseDuration} from '../util/units.js'

/** A usage error (exit 2) that DiagkitCommand prints as one line. */
function bad(message: string): Errors.CLIError {
  return new Errors.CLIError(message, {exit: 2})
}

export const pathFlag = Flags.custom<string>({
  async parse(input) {
    if (input.trim() === '') throw bad('must not be empty')
    return input
  },
})

export const sizeFlag = Flags.custom<number, {maxBytes?: number; minBytes?: number}>({
  async parse(input, _ctx, opts) {
    const n = parseByteSize(input)
    if (n === undefined) throw bad(`expected a size such as 16MiB, 64M, 512k or 1048576, got ${JSON.stringify(input)}`)
    if (opts.minBytes !== undefined && n < opts.minBytes) throw bad(`must be at least ${opts.minBytes} bytes, got ${JSON.stringify(input)}`)
    if (opts.maxBytes !== undefined && n > opts.maxBytes) throw bad(`must be at most ${opts.maxBytes} bytes, got ${JSON.stringify(input)}`)
    return n
  },
})

export const durationFlag = Flags.custom<number, {minMs?: number}>({
  async parse(input, _ctx, opts) {
    const ms = parseDuration(input)
    if (ms === undefined) throw bad(`expected a duration such as 500ms, 30s, 2m or 1h, got ${JSON.stringify(input)}`)
    if (ms < (opts.minMs ?? 1)) throw bad(`must be at least ${opts.minMs ?? 1} ms, got ${JSON.stringify(input)}`)
    if (ms > MAX_TIMER_MS) throw bad(`must be at most 24 days, got ${JSON.stringify(input)}`)
    return ms
  },
})
