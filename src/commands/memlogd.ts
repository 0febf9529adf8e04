import path from 'node:path'
import {Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {pathFlag, sizeFlag} from '../cli/flags.js'
import {DEFAULT_LOG_SOCKET, DEFAULT_QUERY_SOCKET} from '../protocol/constants.js'
import {Daemon} from '../memlogd/daemon.js'
import {daemonize} from '../memlogd/daemonize.js'
import {nonBlockingWriter} from '../memlogd/console-echo.js'
import {SocketSetupError} from '../memlogd/socket-files.js'

export default class Memlogd extends DiagkitCommand {
  static description = `Reads every line that services write to fds handed over the log socket (SCM_RIGHTS, as LinuxKit's init and \`diagkit run\` do), stamps it with time and source name, and keeps it in a bounded in-memory ring. Clients read the ring over the query socket: \`diagkit logread\`, \`diagkit logwrite\`, \`diagkit diagnose\`, or LinuxKit's own logread and logwrite.

Each entry is also echoed to stdout as "<time>;<source>;<msg>" unless --no-console; the echo never slows the daemon down (when stdout is slow it skips entries and says so). The daemon's own events (start, refused fds, bad datagrams) are entries from source "memlogd". SIGTERM or SIGINT stops it and removes the socket files it created.`

  static examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Run in the foreground on the default sockets'},
    {command: '<%= config.bin %> <%= command.id %> --daemonize --no-console', description: 'Bind both sockets, then continue in the background (for boot scripts)'},
    {command: '<%= config.bin %> <%= command.id %> --socket-log /tmp/log.sock --socket-query /tmp/q.sock --max-lines 100000 --max-bytes 64MiB', description: 'A bigger ring on private sockets'},
  ]

  static stopExitsZero = true

  static flags = {
    'client-timeout': Flags.integer({default: 5, description: 'Seconds a query client may take to send its mode byte before it is closed.', max: 2_147_483, min: 1}),
    console: Flags.boolean({allowNo: true, default: true, description: 'Echo every entry to stdout in logread text form.'}),
    daemonize: Flags.boolean({default: false, description: 'Bind both sockets, then continue in the background and return at once, printing the daemon\'s pid.'}),
    'fd-log': Flags.integer({description: 'Use this inherited, bound datagram socket fd instead of --socket-log.', min: 0}),
    'fd-query': Flags.integer({description: 'Use this inherited, bound and listening stream socket fd instead of --socket-query.', min: 0}),
    'max-bytes': sizeFlag({default: 16 * 1024 ** 2, defaultHelp: async () => '16MiB', description: 'Memory bound of the ring: bytes of encoded entries (suffixes K, M, G, T, KiB, MiB…).', maxBytes: 2 ** 40, minBytes: 1024}),
    'max-line-len': Flags.integer({default: 1024, description: 'Longest line kept, in bytes; the rest of a longer line is dropped.', max: 1024 * 1024, min: 1}),
    'max-lines': Flags.integer({default: 5000, description: 'Number of entries kept in the ring (oldest dropped first).', max: 1_000_000_000, min: 1}),
    'owned-socket': Flags.string({description: 'Socket file to remove at exit (used by --daemonize).', hidden: true, multiple: true}),
    'socket-log': pathFlag({default: DEFAULT_LOG_SOCKET, description: 'Datagram socket on which fds arrive.'}),
    'socket-query': pathFlag({default: DEFAULT_QUERY_SOCKET, description: 'Stream socket that serves the ring to clients.'}),
  }

  static summary = 'Run the in-memory log daemon (LinuxKit memlogd compatible).'

  async run(): Promise<void> {
    const {flags} = await this.parse(Memlogd)
    const maxBytes = flags['max-bytes']
    if (path.resolve(flags['socket-log']) === path.resolve(flags['socket-query']) && flags['fd-log'] === undefined && flags['fd-query'] === undefined) {
      this.error(`--socket-log and --socket-query must be different paths (both are ${flags['socket-log']})`, {exit: 2})
    }
    const limits = ['--max-lines', String(flags['max-lines']), '--max-line-len', String(flags['max-line-len']),
      '--max-bytes', String(maxBytes), '--client-timeout', String(flags['client-timeout'])]
    try {
      if (flags.daemonize) {
        if (flags['fd-log'] !== undefined || flags['fd-query'] !== undefined) {
          this.error('--daemonize binds the sockets itself; it cannot be combined with --fd-log or --fd-query', {exit: 2})
        }
        const pid = await daemonize({script: process.argv[1], logPath: flags['socket-log'], queryPath: flags['socket-query'], flags: [...limits, '--no-console']})
        this.log(String(pid)) // for `pid=$(diagkit memlogd --daemonize)`, then `kill $pid`
        return
      }
      const daemon = Daemon.start({
        log: flags['fd-log'] === undefined ? {path: flags['socket-log']} : {fd: flags['fd-log']},
        query: flags['fd-query'] === undefined ? {path: flags['socket-query']} : {fd: flags['fd-query']},
        maxLines: flags['max-lines'],
        maxBytes,
        maxLineLen: flags['max-line-len'],
        console: flags.console ? nonBlockingWriter(1) : undefined,
        clientTimeoutMs: flags['client-timeout'] * 1000,
        ownedPaths: flags['owned-socket'],
      })
      await new Promise<void>((resolve) => {
        const stop = () => {
          daemon.stop().then(resolve, resolve)
        }
        process.once('SIGTERM', stop)
        process.once('SIGINT', stop)
      })
    } catch (error) {
      if (error instanceof SocketSetupError) this.error(error.message, {exit: 1})
      throw error
    }
  }
}
