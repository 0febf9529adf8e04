// Base of every diagkit command: user errors are one line on stderr,
// "diagkit <command>: <message>", with the chosen exit code and no stack
// trace, so scripts can grep them and terminals are not flooded.

import {Command, Errors} from '@oclif/core'

export abstract class DiagkitCommand extends Command {
  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    if (err instanceof Errors.CLIError) {
      const message = err.message.replace(/\s*\n\s*/g, ' ').trim()
      process.stderr.write(`diagkit ${this.id ?? ''}: ${message}\n`)
      process.exitCode = err.oclif?.exit ?? 2
      return
    }
    throw err
  }
}
