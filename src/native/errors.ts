import util from 'node:util'

/** An Error shaped like Node's system errors: code 'ECONNREFUSED', errno -111, syscall, path. */
export function systemError(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(errno)
  const where = path === undefined ? '' : ` ${path}`
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}${where}`)
  err.code = code
  err.errno = errno
  err.syscall = syscall
  if (path !== undefined) err.path = path
  return err
}

/** Throws a system error when the addon returned -errno, else returns the value. */
export function check<T>(result: T | number, syscall: string, path?: string): T {
  if (typeof result === 'number' && result < 0) throw systemError(result, syscall, path)
  return result as T
}
