import {type Config, Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {pathFlag, sizeFlag} from '../cli/flags.js'
import {LogwriteSetupError, runLogwrite} from '../logwrite/index.js'
import {DEFAULT_QUERY_SOCKET} from '../protocol/constants.js'

export default class Logwrite extends DiagkitCommand {
  static description = `Follows memlogd's query socket and writes one file per source into --log-dir: <source>.log, rotated by size to <source>.log.0 (newest), <source>.log.1 … keeping --max-log-files files per source including the active one. Source names are mapped to safe file names (no "/", "..", control characters or over-long names; "%XX" escapes).

Restarting never writes a line twice nor skips one memlogd still holds: the cursor is kept in --state-file (memlogd's seq against diagkit's memlogd; a time-based cursor against LinuxKit's), a 512-byte record created at start-up. A --state-file that exists and is not a logwrite cursor is never overwritten: logwrite refuses to start (exit 2), as it does when the state file cannot be created or written. If memlogd goes away, logwrite reconnects with backoff. Write errors (full disk, permissions) are reported on stderr with the number of lines not written, at most once per 10 s per file and 10 lines per 10 s in all (then one summary line); writing resumes when possible, and is reported with the count of lines lost. SIGHUP reopens the files; SIGTERM or SIGINT writes what is queued and exits 0.`

  static examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'LinuxKit defaults: /var/run/memlogdq.sock to /var/log, 1 MiB files, 10 per source'},
    {command: '<%= config.bin %> <%= command.id %> --log-dir /mnt/logs --max-log-size 10MiB --max-log-files 5 --compress', description: '10 MiB files, 5 per source, rotated ones gzipped'},
  ]

  static stopExitsZero = true

  static flags = {
    compress: Flags.boolean({default: false, description: 'gzip rotated files (<source>.log.0.gz …).'}),
    'log-dir': pathFlag({default: '/var/log', description: 'Directory for the log files.'}),
    'max-log-files': Flags.integer({default: 10, description: 'Files kept per source, counting the active one.', min: 1, max: 100_000}),
    'max-log-size': sizeFlag({default: 1024 * 1024, defaultHelp: async () => '1MiB', description: 'Rotate before a file would pass this size: bytes, or with a suffix K, M, G (KiB, MiB, GiB; powers of 1024); at most 1 TiB.', maxBytes: 2 ** 40, minBytes: 1}),
    'max-open-files': Flags.integer({default: 64, description: 'Files kept open at once (the least recently written is closed).', min: 1, max: 65_536}),
    socket: pathFlag({default: DEFAULT_QUERY_SOCKET, description: "memlogd's query socket."}),
    'state-file': pathFlag({description: 'Where the cursor is kept (created at start; an existing file must be a logwrite cursor). [default: <log-dir>/.logwrite-cursor]'}),
  }

  static summary = 'Write the logs memlogd holds to rotated files, one per source.'

  // Installed when the command object is made, before flag parsing or any
  // other asynchronous start-up: a SIGTERM from then on ends logwrite with 0,
  // never with the default "killed by signal". They stay installed until the
  // process exits (signal listeners do not keep Node's event loop alive), so a
  // signal during the final flush cannot kill it either.
  private readonly abort = new AbortController()
  private reopen: (() => void) | undefined

  constructor(argv: string[], config: Config) {
    super(argv, config)
    const stop = () => this.abort.abort()
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    process.on('SIGHUP', () => this.reopen?.())
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Logwrite)
    try {
      await runLogwrite({
        socketPath: flags.socket,
        logDir: flags['log-dir'],
        maxLogSize: flags['max-log-size'],
        maxLogFiles: flags['max-log-files'],
        maxOpenFiles: flags['max-open-files'],
        compress: flags.compress,
        stateFile: flags['state-file'],
        signal: this.abort.signal,
        writeMessage: (line) => process.stderr.write(line),
        onReopen: (fn) => {
          this.reopen = fn
        },
      })
    } catch (error) {
      if (error instanceof LogwriteSetupError) this.error(error.message, {exit: 2})
      throw error
    }
  }
}
