// Command and file "facts", Docker Desktop style: <name>.cmd.txt says what
// ran, <name>.txt holds the output, <name>.err.txt the errors when there were
// any. A command that is not installed or a file that does not exist is
// recorded (skipped, with the reason), never fatal.

import {readSmallFile} from '../file-source.js'
import {fmtSeconds} from '../runner.js'
import {runCommand, shellQuote} from '../spawn.js'
import {type Collector, type CollectorContext, type CollectorOutcome, SkipCollector} from '../types.js'

export interface CommandFact {
  /** Collector name, e.g. system/uname. */
  name: string
  /** Entry path without extension, e.g. system/uname. */
  entry: string
  argv: string[]
  /** Parses the output for the summary. */
  inspect?(stdout: Buffer, ctx: CollectorContext): void
  timeoutMs?: number
}

export function commandCollector(fact: CommandFact): Collector {
  return {
    name: fact.name,
    timeoutMs: fact.timeoutMs,
    async run(ctx): Promise<CollectorOutcome> {
      const cmdline = ctx.clean(shellQuote(fact.argv))
      const run = await runCommand(fact.argv, {maxBytes: ctx.maxFileSize, signal: ctx.signal})
      let status: string
      if (run.startError) {
        const why = run.startError.code === 'ENOENT' ? 'command not found' : run.startError.message
        ctx.addBuffer(`${fact.entry}.cmd.txt`, `${cmdline}\n# not run: ${why}\n`)
        throw new SkipCollector(`${fact.argv[0]}: ${why}`)
      }
      if (run.killed) status = `killed after ${fmtSeconds(Math.round(run.durationMs))} (timeout)`
      else if (run.exitSignal) status = `killed by ${run.exitSignal}`
      else status = `exit status ${run.exitCode}`
      ctx.addBuffer(`${fact.entry}.cmd.txt`, `${cmdline}\n# ${status}, ${Math.round(run.durationMs)} ms\n`)
      const outTrunc = {truncated: run.stdout.truncated, originalBytes: run.stdout.truncated ? run.stdout.total : undefined}
      const stdout = run.stdout.toBuffer()
      ctx.addBuffer(`${fact.entry}.txt`, stdout, outTrunc)
      if (run.stderr.total > 0) {
        ctx.addBuffer(`${fact.entry}.err.txt`, run.stderr.toBuffer(), {
          truncated: run.stderr.truncated,
          originalBytes: run.stderr.truncated ? run.stderr.total : undefined,
        })
      }
      if (!run.killed) fact.inspect?.(stdout, ctx)
      const details = {exitCode: run.exitCode, ...(run.exitSignal ? {signal: run.exitSignal} : {})}
      if (run.killed || run.exitCode === 0) return {details}
      const firstErr = run.stderr.toBuffer().toString('utf8').split('\n').find((l) => l.trim() !== '')
      return {status: 'failed', error: `${status}${firstErr ? `: ${firstErr.slice(0, 200)}` : ''}`, details}
    },
  }
}

export interface FileFact {
  name: string
  entry: string
  /** The first of these that exists is read. */
  paths: string[]
}

export function fileCollector(fact: FileFact): Collector {
  return {
    name: fact.name,
    async run(ctx) {
      const missing: string[] = []
      for (const p of fact.paths) {
        try {
          const r = await readSmallFile(p, ctx.maxFileSize, ctx.signal)
          ctx.addBuffer(`${fact.entry}.cmd.txt`, `read ${p}\n`)
          ctx.addBuffer(`${fact.entry}.txt`, r.data, {truncated: r.truncated, originalBytes: r.truncated ? r.total : undefined, source: p})
          return {details: {path: p}}
        } catch (error) {
          const err = error as NodeJS.ErrnoException
          if (err.code === 'ENOENT') {
            missing.push(p)
            continue
          }
          const why = err.code === 'EACCES' ? 'permission denied' : err.message
          ctx.addBuffer(`${fact.entry}.cmd.txt`, `read ${p}\n`)
          ctx.addBuffer(`${fact.entry}.err.txt`, `${p}: ${why}\n`)
          throw new Error(`${p}: ${why}`)
        }
      }
      throw new SkipCollector(`no such file: ${missing.join(', ')}`)
    },
  }
}
