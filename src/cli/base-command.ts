// Base of every diagkit command: user errors and warnings are one line on
// stderr, "diagkit <command>: <message>", errors with the chosen exit code and
// no stack trace, so scripts can grep them and terminals are not flooded.

import {Command, Errors} from '@oclif/core'

export abstract class DiagkitCommand extends Command {
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
