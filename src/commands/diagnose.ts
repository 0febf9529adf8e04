import {Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {durationFlag, pathFlag, sizeFlag} from '../cli/flags.js'
import {DEFAULT_QUERY_SOCKET} from '../protocol/constants.js'
// Types only at the top: the library loads in run(), ora and chalk only on a terminal.
import type {CollectorResult, DiagnoseResult, ProgressEvent} from '../diagnose/index.js'

type Lib = typeof import('../diagnose/index.js')

function humanSize(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${n} B`
}

export default class Diagnose extends DiagkitCommand {
  static description = `Gathers everything worth seeing into one zip, Docker Desktop style: memlogd's ring (one file per source and the raw NDJSON), logwrite's rotated files, the kernel log, and system facts (uname, os-release, uptime and load, cpuinfo, meminfo, mounts, df, processes, addresses and routes, sysctls, limits), each command leaving <name>.cmd.txt, <name>.txt and <name>.err.txt.

The report is <out-dir>/<host UUID>/<UTC YYYYMMDDHHMMSS>.zip with manifest.json (every collector's status, duration, bytes, truncation and errors; the sha256 of every file) and summary.txt (failed collectors, memlogd lines lost, kernel warnings and errors, disks nearly full) at its root. Its diagnostics ID, <host UUID>/<timestamp>, is printed with the path, size and sha256.

Collectors run concurrently, each under --collector-timeout and all under --timeout: a failing or hanging one is recorded and never spoils the report. Secrets (passwords, tokens, Authorization headers, private keys, cloud access keys) are redacted unless --no-redact; the manifest says how many values were redacted in which file, never the values. Works without root with what it can read, and says what it could not. Ctrl-C leaves no partial file; an existing report is never overwritten.`

  static enableJsonFlag = true

  static examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Collect everything; print where the report is'},
    {command: '<%= config.bin %> <%= command.id %> -o /var/tmp/reports --socket /run/guest-services/memlogdq.sock', description: 'Into a chosen directory, from a Docker Desktop-style memlogd socket'},
    {command: '<%= config.bin %> <%= command.id %> --include /etc/containerd/config.toml --command mem="free -m"', description: 'Add a file and a command of your own'},
    {command: '<%= config.bin %> <%= command.id %> --redact \'(?i)customer-[0-9]+\' --max-file-size 16M', description: 'An extra redaction rule and a smaller per-file cap'},
    {command: '<%= config.bin %> <%= command.id %> --json | jq -r .path', description: 'Machine-readable result'},
  ]

  static flags = {
    'collector-timeout': durationFlag({default: 30_000, defaultHelp: async () => '30s', description: 'Timeout of each collector ("30s", "500ms", "2m"; a bare number is seconds).'}),
    command: Flags.string({description: 'Also run CMD (with sh -c) as NAME, saved under extra/commands/. Repeatable.', helpValue: 'NAME=CMD', multiple: true}),
    include: pathFlag({description: 'Also include this file or directory, under extra/files/. Repeatable.', helpValue: 'PATH', multiple: true}),
    'kmsg-device': pathFlag({default: '/dev/kmsg', description: 'Kernel log device.', hidden: true}),
    'log-dir': pathFlag({default: '/var/log', description: "logwrite's directory: <source>.log, .log.N and .log.N.gz files are copied."}),
    'max-file-size': sizeFlag({default: 64 * 1024 ** 2, defaultHelp: async () => '64M', maxBytes: 2 ** 40, minBytes: 1024, description: 'Per-file cap; larger files keep their newest data and are marked truncated ("64M", "512k", bytes).'}),
    'no-redact': Flags.boolean({default: false, description: 'Do not redact secrets.'}),
    'out-dir': pathFlag({char: 'o', description: 'Directory for <host UUID>/<timestamp>.zip (default: a new private temporary directory).'}),
    redact: Flags.string({description: 'Also redact what this regular expression matches (JavaScript syntax, within a line; "(?i)" prefix for case-insensitive). Repeatable.', helpValue: 'REGEX', multiple: true}),
    skip: Flags.string({description: 'Do not run this collector (a name from manifest.json, or a group such as "system/"). Repeatable.', multiple: true}),
    socket: pathFlag({default: DEFAULT_QUERY_SOCKET, description: "memlogd's query socket."}),
    timeout: durationFlag({default: 120_000, defaultHelp: async () => '120s', description: 'Overall deadline: collectors still running then are stopped and the report is written.'}),
  }

  static summary = 'Write a diagnostic report (zip) a support engineer can trust, and print where it is.'

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Diagnose)
    const json = this.jsonEnabled()

    const collectorTimeoutMs = flags['collector-timeout']
    const timeoutMs = flags.timeout
    const maxFileSize = flags['max-file-size']

    const lib: Lib = await import('../diagnose/index.js')
    const commands: {command: string; name: string}[] = []
    for (const spec of flags.command ?? []) {
      const eq = spec.indexOf('=')
      const name = eq === -1 ? '' : spec.slice(0, eq)
      const command = eq === -1 ? '' : spec.slice(eq + 1)
      if (!lib.NAME_PATTERN.test(name) || command.trim() === '') {
        this.error(`--command: expected NAME=CMD with NAME of letters, digits, ".", "_", "-" (got ${JSON.stringify(spec.slice(0, 40))})`, {exit: 2})
      }
      if (commands.some((c) => c.name === name)) this.error(`--command: the name ${name} is given twice`, {exit: 2})
      commands.push({command, name})
    }

    const progress = json ? undefined : await this.progress()
    const abort = new AbortController()
    let signalName: NodeJS.Signals | undefined
    const onSignal = (sig: NodeJS.Signals) => {
      signalName ??= sig
      abort.abort(new Error(sig))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)

    let result: DiagnoseResult
    try {
      result = await lib.diagnose({
        argv: process.argv.slice(2),
        collectorTimeoutMs,
        commands,
        includes: flags.include ?? [],
        kmsgDevice: flags['kmsg-device'],
        logDir: flags['log-dir'],
        maxFileSize,
        onProgress: progress?.onEvent,
        outDir: flags['out-dir'],
        redact: !flags['no-redact'],
        redactRules: flags.redact ?? [],
        signal: abort.signal,
        skip: flags.skip ?? [],
        socketPath: flags.socket,
        timeoutMs,
        version: this.config.version,
      })
    } catch (error) {
      progress?.fail()
      if (error instanceof lib.DiagnoseInterrupted) {
        process.stderr.write(`diagkit diagnose: interrupted by ${signalName ?? 'a signal'}; no report written\n`)
        this.exit(signalName === 'SIGTERM' ? 143 : 130)
      }
      if (error instanceof lib.RedactRuleError || error instanceof lib.UnknownSkipError) this.error(error.message, {exit: 2})
      // A system call that failed (mkdir, open, write, link…) is about the
      // output place, not a bug: say so in one line.
      const err = error as NodeJS.ErrnoException
      if (err.code && err.syscall) {
        this.error(`cannot write the report in ${flags['out-dir'] ?? 'the temporary directory'}: ${err.message}`, {exit: 1})
      }
      throw error
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    progress?.done()

    const counts = countStatuses(result.manifest.collectors)
    if (!json) await this.render(result, counts)
    return {
      id: result.id,
      path: result.path,
      bytes: result.bytes,
      sha256: result.sha256,
      start: result.manifest.start,
      end: result.manifest.end,
      counts,
      redactions: result.manifest.redaction.enabled ? result.manifest.redaction.total : null,
      collectors: result.manifest.collectors.map((c) => ({
        name: c.name,
        status: c.status,
        durationMs: c.durationMs,
        bytes: c.bytes,
        truncated: c.truncated,
        ...(c.error ? {error: c.error} : {}),
      })),
    }
  }

  private async render(result: DiagnoseResult, counts: Record<string, number>): Promise<void> {
    const tty = process.stdout.isTTY
    const chalk = tty ? (await import('chalk')).default : undefined
    const bold = (s: string) => (chalk ? chalk.bold(s) : s)
    const lines = [
      `Diagnostics ID: ${bold(result.id)}`,
      `Report:         ${result.path}`,
      `Size:           ${humanSize(result.bytes)} (${result.bytes} bytes)`,
      `SHA-256:        ${result.sha256}`,
      `Collectors:     ${counts.ok} ok, ${counts.failed} failed, ${counts['timed-out']} timed out, ${counts.skipped} skipped`,
    ]
    for (const c of result.manifest.collectors) {
      if (c.status === 'failed' || c.status === 'timed-out') {
        const s = `  ${c.status}: ${c.name}: ${c.error ?? ''}`
        lines.push(chalk ? chalk.yellow(s) : s)
      }
    }
    lines.push(`Read summary.txt in the zip first (unzip -p ${result.path} summary.txt).`)
    process.stdout.write(`${lines.join('\n')}\n`)
  }

  /** ora on a terminal, plain lines on stderr otherwise. */
  private async progress(): Promise<{done(): void; fail(): void; onEvent(e: ProgressEvent): void}> {
    // A terminal that reports 0 columns (serial consoles do) sends ora into an
    // endless redraw: only a terminal with a width gets the spinner.
    if (process.stderr.isTTY && (process.stderr.columns ?? 0) > 0) {
      const ora = (await import('ora')).default
      const spinner = ora({stream: process.stderr, text: 'collecting'}).start()
      const running = new Set<string>()
      let finished = 0
      const update = () => {
        const names = [...running].slice(0, 3).join(', ')
        spinner.text = `collecting (${finished} done${running.size > 0 ? `; running ${names}${running.size > 3 ? ', …' : ''}` : ''})`
      }
      return {
        done: () => spinner.succeed(`collected (${finished} collectors)`),
        fail: () => spinner.stop(),
        onEvent(e) {
          if (e.kind === 'start') running.add(e.name)
          else if (e.kind === 'end') {
            running.delete(e.result.name)
            finished++
          } else spinner.text = e.text
          if (e.kind !== 'phase') update()
        },
      }
    }
    return {
      done() {},
      fail() {},
      onEvent(e) {
        if (e.kind === 'end') {
          const r: CollectorResult = e.result
          process.stderr.write(`diagnose: ${r.name}: ${r.status}${r.error ? ` (${r.error})` : ''}, ${r.durationMs} ms\n`)
        } else if (e.kind === 'phase') process.stderr.write(`diagnose: ${e.text}\n`)
      },
    }
  }
}

function countStatuses(results: CollectorResult[]): Record<string, number> {
  const counts: Record<string, number> = {failed: 0, ok: 0, skipped: 0, 'timed-out': 0}
  for (const r of results) counts[r.status]++
  return counts
}
