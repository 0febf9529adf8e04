// memlogd's ring, drained with a dump on the query socket: the raw NDJSON as
// sent (logs/memlogd/memlogd.ndjson) and one text file per source
// (logs/memlogd/<source>.log, logwrite's line form). Lines memlogd reports as
// lost, and ring wrap-around visible from seq numbers, go to the summary.

import {queryLines, QueryError} from '../../client/query-client.js'
import {DAEMON_SOURCE} from '../../protocol/constants.js'
import {type LogEntry, parseEntry} from '../../protocol/entry.js'
import {formatFileLine} from '../../protocol/text.js'
import {safeFileName} from '../../logwrite/safe-name.js'
import {TailBuffer} from '../tail.js'
import {type Collector, SkipCollector} from '../types.js'

export interface MemlogdOptions {
  socketPath: string
}

/** memlogd's own messages about lines it could not keep: "lost 12 lines", "dropped 3 entries"... */
const LOST = /\b(?:lost|dropp(?:ed|ing)|discard(?:ed|ing)|overflow)\b/i

/** The count a lost-lines message states, or undefined when it gives none. */
export function lostCount(msg: string): number | undefined {
  const m = /(\d+)\s*(?:lines?|entries|entry|messages?|records?)\b/i.exec(msg) ?? /\b(?:lost|dropped|discarded)\s+(\d+)/i.exec(msg)
  return m ? Number(m[1]) : undefined
}

export function memlogdCollector(opts: MemlogdOptions): Collector {
  return {
    name: 'memlogd',
    async run(ctx) {
      const raw = new TailBuffer(ctx.maxFileSize)
      const perSource = new Map<string, TailBuffer>()
      let entries = 0
      let malformed = 0
      let lostReports = 0
      let lostLines = 0
      let firstSeq: number | undefined
      let seqKnown = true
      try {
        for await (const line of queryLines({socketPath: opts.socketPath, mode: 'dump', signal: ctx.signal})) {
          raw.push(line)
          raw.push('\n')
          let e: LogEntry
          try {
            e = parseEntry(line.toString('utf8'))
          } catch {
            malformed++
            continue
          }
          entries++
          if (e.seq === undefined) seqKnown = false
          else firstSeq ??= e.seq
          let buf = perSource.get(e.source)
          if (!buf) perSource.set(e.source, (buf = new TailBuffer(ctx.maxFileSize)))
          buf.push(`${formatFileLine(e)}\n`)
          if (e.source === DAEMON_SOURCE && LOST.test(e.msg)) {
            lostReports++
            lostLines += lostCount(e.msg) ?? 0
          }
        }
      } catch (error) {
        if (error instanceof QueryError && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) {
          throw new SkipCollector(`memlogd is not running: ${error.message}`)
        }
        // Keep what was received before the failure.
        if (entries === 0 && raw.total === 0) throw error
        finish()
        return {status: 'failed', error: (error as Error).message, details: {entries, malformed}}
      }
      finish()
      return {details: {socket: opts.socketPath, entries, sources: perSource.size, malformed}}

      function finish() {
        ctx.addBuffer('logs/memlogd/memlogd.ndjson', raw.toBuffer(), {truncated: raw.truncated, originalBytes: raw.truncated ? raw.total : undefined})
        for (const [source, buf] of [...perSource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          ctx.addBuffer(`logs/memlogd/${safeFileName(source)}.log`, buf.toBuffer(), {
            truncated: buf.truncated,
            originalBytes: buf.truncated ? buf.total : undefined,
          })
        }
        const seqOk = seqKnown && entries > 0
        ctx.findings.memlogd = {
          entries,
          lostReports,
          lostLines,
          seqKnown: seqOk,
          malformed,
          ...(seqOk && firstSeq !== undefined && firstSeq > 1 ? {ringWrapped: firstSeq - 1} : {}),
        }
      }
    },
  }
}
