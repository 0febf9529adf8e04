import {Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {pathFlag} from '../cli/flags.js'
import fs from 'node:fs'
import {isFileOrDevice, settled, writeAll, writeAllSync} from '../util/write-all.js'
// Only types at the top. run() loads just the modules a mode needs (--dump no
// follower, no filters unless asked); chalk loads only for colour on a terminal.
import type {HumanColors, KmsgRecord, RecordFilter} from '../kmsg/index.js'

type Format = typeof import('../kmsg/format.js')

export default class Kmsg extends DiagkitCommand {
  static description = `Without flags this is LinuxKit's kmsg service: it follows /dev/kmsg forever and writes one line per kernel record to stderr, "(<seq>) - <RFC 3339 nano time>: <text>", so that memlogd captures it like any service. With --dump it prints what the kernel holds now (to stdout) and exits, like dmesg.

Times are the boot time (realtime − monotonic clock) plus the record's microseconds. Line output keeps the kernel's \\xNN escapes, so a record is always one line; --json decodes them. JSON "seq" is a decimal string (it is 64-bit), "usec" the raw microseconds since boot. When records were overwritten before they could be read, one line says how many (and which seqs) were lost.

With --state FILE the last seq written is saved after every batch; a restart resumes after it (same boot only), so records are not repeated. Reading /dev/kmsg needs root or CAP_SYSLOG when kernel.dmesg_restrict is 1.`

  static examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Run as the kmsg service: follow the kernel log to stderr'},
    {command: '<%= config.bin %> run -n kmsg -- <%= config.bin %> <%= command.id %> --state /run/kmsg.state', description: 'Feed memlogd, resuming after a restart without repeats'},
    {command: '<%= config.bin %> <%= command.id %> --dump --human -T --level err+', description: 'Errors and worse held now, dmesg-style with wall-clock times'},
    {command: '<%= config.bin %> <%= command.id %> --dump --json --since 10m', description: 'The last ten minutes as JSON, one object per line'},
    {command: '<%= config.bin %> <%= command.id %> --since-end --stdout --facility kern', description: 'Only new kernel-facility records, to stdout'},
  ]

  static flags = {
    ctime: Flags.boolean({char: 'T', default: false, description: 'Human form with local wall-clock time instead of seconds since boot (implies --human).', exclusive: ['json']}),
    device: pathFlag({default: '/dev/kmsg', description: 'Kernel log device to read.'}),
    dump: Flags.boolean({default: false, description: 'Print the records the kernel holds now and exit (writes to stdout).'}),
    facility: Flags.string({char: 'f', description: 'Only these facilities, comma-separated: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0-local7 (or numbers).'}),
    human: Flags.boolean({char: 'H', default: false, description: 'dmesg-like lines "[    5.140900] text", coloured by level on a terminal.', exclusive: ['json']}),
    json: Flags.boolean({default: false, description: 'One JSON object per record: seq, time, usec, facility, level, flags, text (escapes decoded), dict.'}),
    level: Flags.string({char: 'l', description: 'Only these levels, comma-separated: emerg, alert, crit, err, warn, notice, info, debug (or 0-7); "err+" adds the more severe ones, "+warn" the less severe.'}),
    since: Flags.string({description: 'Only records at or after TIME: RFC 3339 ("2026-12-03T15:20:56Z"; no zone = local) or a duration ago ("90s", "10m", "2h", "1d").'}),
    'since-end': Flags.boolean({default: false, description: 'Follow only records that arrive from now on.', exclusive: ['dump']}),
    state: pathFlag({description: 'File keeping the last seq written; resume after it on restart (same boot).'}),
    stdout: Flags.boolean({default: false, description: 'Follow to stdout instead of stderr.'}),
  }

  static summary = 'Stream or dump the kernel log (/dev/kmsg), as LinuxKit\'s kmsg service or a dmesg replacement.'

  // Written out: oclif's own renders the --json/-H/-T exclusions as "[-H | ]".
  static usage = '<%= command.id %> [--dump | --since-end] [--json | -H [-T]] [-l <levels>] [-f <facilities>] [--since <time>] [--state <file>] [--stdout] [--device <path>]'

  async run(): Promise<void> {
    const {flags} = await this.parse(Kmsg)
    const filtering = flags.level !== undefined || flags.facility !== undefined || flags.since !== undefined
    // All of a mode's modules are requested at once: Node loads them concurrently.
    const [fmt, time, flt, st, dump] = await Promise.all([
      import('../kmsg/format.js'),
      import('../kmsg/time.js'),
      filtering ? import('../kmsg/filter.js') : undefined,
      flags.state === undefined ? undefined : import('../kmsg/state.js'),
      flags.dump ? import('../kmsg/dump.js') : undefined,
    ])

    const filter: RecordFilter = {}
    if (flt) {
      try {
        if (flags.level !== undefined) filter.levels = flt.parseLevels(flags.level)
        if (flags.facility !== undefined) filter.facilities = flt.parseFacilities(flags.facility)
        if (flags.since !== undefined) filter.sinceNs = flt.parseSince(flags.since, BigInt(Date.now()) * 1_000_000n)
      } catch (error) {
        if (error instanceof flt.FilterError) this.error(error.message, {exit: 2})
        throw error
      }
    }
    const keep = (r: KmsgRecord) => !flt || flt.matches(r, filter)

    let after: bigint | undefined
    const bootId = st ? st.currentBootId() : ''
    if (st && flags.state !== undefined) {
      try {
        after = st.resumeAfter(st.readState(flags.state), bootId)
      } catch (error) {
        if (error instanceof st.StateFileError) this.error(error.message, {exit: 2})
        throw error
      }
    }
    const saveState = (seq: bigint | undefined) => {
      if (st && flags.state !== undefined && seq !== undefined) st.writeState(flags.state, {bootId, seq})
    }

    const toStdout = flags.dump || flags.stdout
    const out = toStdout ? process.stdout : process.stderr
    const outName = toStdout ? 'stdout' : 'stderr'
    // The reader went away (| head, memlogd stopped): nothing left to do, and
    // nothing saved in --state for what it did not get. Anything else (a full
    // disk, a bad fd): one line, exit 1.
    const outputFailed = (err: NodeJS.ErrnoException): never => {
      if (err.code === 'EPIPE') process.exit(flags.dump ? 0 : 1)
      const why = err.code ? `${err.code} (${err.message.replace(/^\w+: /, '').replace(/, write$/, '')})` : err.message
      process.stderr.write(`diagkit kmsg: cannot write to ${outName}: ${why}\n`)
      return process.exit(1)
    }
    out.on('error', outputFailed)
    const render = await this.renderer(fmt, flags, out)
    const onBadRecord = (err: Error) => this.warn(`skipped a record that does not parse: ${err.message}`)

    if (dump) {
      const boot = time.bootTimeNsAtStart()
      filter.bootTimeNs = boot
      const lines: string[] = []
      const plain = !flt && !flags.json && !flags.human && !flags.ctime
      let last: bigint | undefined
      try {
        const opts = {device: flags.device, after, onBadRecord}
        last = plain
          ? dump.dumpLinuxkitLines(opts, boot, lines) // the default form, without a record object per line
          : dump.drainKmsg(opts, (r) => {
            if (keep(r)) lines.push(render(r, boot))
          })
      } catch (error) {
        this.deviceError(error, flags.device)
      }
      if (lines.length > 0) {
        lines.push('') // the last line's newline, from the join itself
        await writeAll(out, lines.join('\n')).catch(outputFailed)
      }
      saveState(last) // only once the output is out
      // Everything is done and closed. Returning would make Node wait for
      // V8's background compiles of the loop above before it exits (~0.5 ms
      // of a ~10 ms dump); once warnings have gone out too, exit.
      await settled(process.stderr)
      process.exit(process.exitCode ?? 0)
    }

    const [{KmsgFollower}, {bootTimeNs}] = await Promise.all([import('../kmsg/follow.js'), import('../kmsg/boot-time.js')])
    const toFile = isFileOrDevice(out.fd)
    const follower = new KmsgFollower({
      device: flags.device,
      sinceEnd: flags['since-end'] && after === undefined,
      after,
      onBadRecord,
      onRecords: (records: KmsgRecord[]) => {
        const boot = bootTimeNs() // per batch: follows clock steps (NTP) on long runs
        filter.bootTimeNs = boot
        let text = ''
        for (const r of records) if (keep(r)) text += `${render(r, boot)}\n`
        if (text !== '') {
          // A file or device: every byte now, or an error (Node's own write
          // would drop the tail of a short write); a pipe queues the rest.
          if (toFile) {
            try {
              writeAllSync(out.fd, text)
            } catch (error) {
              outputFailed(error as NodeJS.ErrnoException)
            }
          } else out.write(text)
        }
        saveState(follower.lastSeq)
      },
      onRetry: (err, ms) => this.warn(`reading ${flags.device} failed (${err.message}); reopening in ${ms} ms`),
    })
    try {
      follower.start()
    } catch (error) {
      this.deviceError(error, flags.device)
    }
    const stop = () => follower.stop()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    try {
      await follower.done
    } catch (error) {
      this.deviceError(error, flags.device)
    } finally {
      process.removeListener('SIGTERM', stop)
      process.removeListener('SIGINT', stop)
    }
  }

  private async renderer(fmt: Format, flags: {ctime: boolean; human: boolean; json: boolean}, out: NodeJS.WriteStream): Promise<(r: KmsgRecord, boot: bigint) => string> {
    if (flags.json) return (r, boot) => JSON.stringify(fmt.recordToJson(r, boot))
    if (!flags.human && !flags.ctime) return (r, boot) => fmt.formatLinuxkitLine(r, boot)
    let colors: HumanColors | undefined
    if (out.isTTY) {
      const {default: chalk, chalkStderr} = await import('chalk')
      const c = out === process.stderr ? chalkStderr : chalk
      if (c.level > 0) {
        colors = {
          time: (s) => c.green(s),
          level: (lv, s) => (lv <= 2 ? c.bold.red(s) : lv === 3 ? c.red(s) : lv === 4 ? c.yellow(s) : lv === 5 ? c.bold(s) : s),
        }
      }
    }
    return (r, boot) => fmt.formatHumanLine(r, {bootTimeNs: boot, colors, ctime: flags.ctime})
  }

  /** A device that cannot be read: one clear line, with a hint for permissions. */
  private deviceError(error: unknown, device: string): never {
    const err = error as NodeJS.ErrnoException
    const code = err?.code
    if (code === 'EACCES' || code === 'EPERM') {
      let hint = 'run as root or with CAP_SYSLOG'
      try {
        if (fs.readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1') hint += ' (kernel.dmesg_restrict = 1 limits the kernel log to privileged users)'
      } catch {
        // no procfs: keep the plain hint
      }
      this.error(`cannot read ${device}: permission denied (${code}); ${hint}`, {exit: 1})
    }
    if (code === 'ENOENT') this.error(`cannot read ${device}: no such device (ENOENT)`, {exit: 1})
    if (code === 'EINVAL') this.error(`${err.message}; the kernel log cannot be read safely`, {exit: 1})
    if (code !== undefined && err.message) this.error(`cannot read ${device}: ${err.message}`, {exit: 1})
    throw error
  }
}
