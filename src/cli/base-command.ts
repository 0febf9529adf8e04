// Base of every diagkit command: user errors and warnings are one line on
// stderr, "diagkit <command>: <message>", errors with the chosen exit code and
// no stack trace, so scripts can grep them and terminals are not flooded.

import os from 'node:os'
import {Command, Config, Errors, type Interfaces} from '@oclif/core'

/** Set up by bin/run.js: stop signals that arrived while the CLI was loading. */
interface EarlySignals {
  signals: NodeJS.Signals[]
  release(): void
}

export abstract class DiagkitCommand extends Command {
  /**
   * Daemons (memlogd, logwrite) treat SIGTERM/SIGINT as an orderly stop and
   * exit 0; other commands exit 128+N like a process killed by signal N.
   */
  static stopExitsZero = false

  /**
   * oclif's Command.run loads a second Config before every command, so that
   * a plugin linked against another @oclif/core gets one of its own. diagkit
   * has no such plugins (only plugin-help, on the same core), and that second
   * load is ~0.6 ms of every command's start-up: reuse the Config that found
   * the command. Anything else (a test calling run() with a path) and any
   * oclif without _run take oclif's way.
   */
  static async run<T extends Command>(this: new (argv: string[], config: Config) => T, argv?: string[], opts?: Interfaces.LoadOptions): Promise<ReturnType<T['run']>> {
    if (opts instanceof Config) {
      const cmd = new this(argv ?? process.argv.slice(2), opts) as unknown as {_run?: () => Promise<ReturnType<T['run']>>}
      if (typeof cmd._run === 'function') return cmd._run()
    }
    return (Command.run as (this: unknown, argv?: string[], opts?: Interfaces.LoadOptions) => Promise<ReturnType<T['run']>>).call(this, argv, opts)
  }

  /** Takes over from bin/run.js: a stop signal that came during loading ends the command before it starts. */
  protected async init(): Promise<void> {
    const early = (globalThis as {diagkitEarlySignals?: EarlySignals}).diagkitEarlySignals
    early?.release()
    const signal = early?.signals.find((s) => s !== 'SIGHUP')
    if (signal) {
      const zero = (this.constructor as typeof DiagkitCommand).stopExitsZero
      this.exit(zero ? 0 : 128 + (os.constants.signals[signal] ?? 0))
    }
    await super.init()
  }

  /** One line on stderr, "diagkit <command>: warning: …" (oclif's own wraps and decorates). */
  warn(input: string | Error): string | Error {
    const message = (typeof input === 'string' ? input : input.message).replace(/\s*\n\s*/g, ' ').trim()
    process.stderr.write(`diagkit ${this.id ?? ''}: warning: ${message}\n`)
    return input
  }

  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    if (err instanceof Errors.CLIError) {
      // oclif's parse errors read "Parsing --flag\n\t<why>\nSee more help with --help":
      // make that "--flag: <why>" on one line.
      const message = err.message
        .replace(/^Parsing (--[\w-]+)\s*\n\s*/, '$1: ')
        .replace(/\s*See more help with --help\s*$/, '')
        .replace(/\s*\n\s*/g, ' ')
        .trim()
      process.stderr.write(`diagkit ${this.id ?? ''}: ${message}\n`)
      process.exitCode = err.oclif?.exit ?? 2
      return
    }
    throw err
  }
}
