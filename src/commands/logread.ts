import {Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {pathFlag} from '../cli/flags.js'
import {queryLines, QueryError, type QueryMode} from '../client/query-client.js'
import {colorFor} from '../client/source-colors.js'
import {DEFAULT_QUERY_SOCKET} from '../protocol/constants.js'
import {parseEntry} from '../protocol/entry.js'
import {escapeSource, escapeText} from '../protocol/text.js'
import {watchPipeReaderGone} from '../native/index.js'

export default class Logread extends DiagkitCommand {
  static description = `Prints the entries memlogd holds, oldest first, as "<time>;<source>;<msg>" (LinuxKit's logread form; "\\", ";" in source names and control characters are escaped so every entry is exactly one line), or with --json exactly as received (one JSON object per line). Works against diagkit's memlogd and LinuxKit's.

Default: dump the ring and exit. -f follows new entries only; -F dumps, then follows with no gap and no duplicate. Colours per source on a terminal (NO_COLOR turns them off); never in pipes or JSON.`

  static examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Everything memlogd holds now'},
    {command: '<%= config.bin %> <%= command.id %> -F --source docker --source containerd', description: 'Dump, then follow two services'},
    {command: '<%= config.bin %> <%= command.id %> --json --socket /run/guest-services/memlogdq.sock | jq .msg', description: 'Raw JSON from a Docker Desktop VM'},
  ]

  static flags = {
    'dump-follow': Flags.boolean({char: 'F', default: false, description: 'Dump the ring, then follow new entries.', exclusive: ['follow']}),
    follow: Flags.boolean({char: 'f', default: false, description: 'Follow new entries only (no dump).', exclusive: ['dump-follow']}),
    json: Flags.boolean({default: false, description: 'Print entries as JSON lines, exactly as memlogd sent them.'}),
    socket: pathFlag({default: DEFAULT_QUERY_SOCKET, description: "memlogd's query socket."}),
    source: Flags.string({description: 'Only entries from this source (repeatable; exact name).', multiple: true}),
  }

  static summary = 'Print the logs memlogd holds.'

  async run(): Promise<void> {
    const {flags} = await this.parse(Logread)
    const mode: QueryMode = flags['dump-follow'] ? 'dump+follow' : flags.follow ? 'follow' : 'dump'
    const sources = flags.source ? new Set(flags.source) : undefined
    const colour = !flags.json && process.stdout.isTTY ? (await import('chalk')).default : undefined
    // A reader that went away (`logread -F | head -1`) ends us quietly.
    const abort = new AbortController()
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') abort.abort()
    })
    // Following a quiet ring, no write would reveal it: watch the pipe itself.
    const unwatch = mode === 'dump' ? () => {} : watchPipeReaderGone(1, () => abort.abort())
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      for await (const line of queryLines({socketPath: flags.socket, mode, signal: abort.signal})) {
        if (abort.signal.aborted) break
        if (flags.json && !sources) {
          process.stdout.write(Buffer.concat([line, Buffer.from('\n')]))
          continue
        }
        const e = parseEntry(line.toString('utf8'))
        if (sources && !sources.has(e.source)) continue
        if (flags.json) {
          process.stdout.write(Buffer.concat([line, Buffer.from('\n')]))
          continue
        }
        const source = escapeSource(e.source)
        const shown = colour ? colour[colorFor(e.source)](source) : source
        process.stdout.write(`${e.time};${shown};${escapeText(e.msg)}\n`)
      }
    } catch (error) {
      if (error instanceof QueryError) this.error(error.message, {exit: 1})
      if ((error as Error).name === 'EntryParseError') this.error(`memlogd at ${flags.socket} sent a malformed entry: ${(error as Error).message}`, {exit: 1})
      throw error
    } finally {
      unwatch()
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}
