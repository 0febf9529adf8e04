// Writing a command's output so that none of it is lost without a word.
// Node writes process.stdout synchronously when it is a file or a device, and
// ignores a short write: on a nearly full disk the tail of the output is gone,
// with exit 0. Here a file or device gets every byte or an error (ENOSPC, EIO);
// a pipe, socket or terminal goes through the stream, which queues the rest.

import fs from 'node:fs'

/** Whether fd is a regular file or a device (written synchronously by Node, short writes and all). */
export function isFileOrDevice(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd)
    return st.isFile() || st.isCharacterDevice() || st.isBlockDevice()
  } catch {
    return false
  }
}

/** Writes all of text to fd, again after every short write; throws the errno error that stops it. */
export function writeAllSync(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8')
  let off = 0
  while (off < buf.length) {
    const n = fs.writeSync(fd, buf, off, buf.length - off)
    if (n <= 0) {
      const err: NodeJS.ErrnoException = new Error('EIO: a write took no bytes')
      err.code = 'EIO'
      throw err
    }
    off += n
  }
}

/**
 * Writes text to stream (every byte, whatever it is connected to) and
 * resolves once all of it has gone to the kernel; rejects with the error
 * that stopped it (EPIPE when the reader left).
 */
export function writeAll(stream: NodeJS.WriteStream & {fd: number}, text: string): Promise<void> {
  if (isFileOrDevice(stream.fd)) {
    try {
      writeAllSync(stream.fd, text)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()))
  })
}

/** Resolves once stream has no write pending (at once when it has none); a failing stream counts as settled. */
export function settled(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      stream.off('error', done)
      resolve()
    }
    stream.once('error', done)
    stream.write('', done)
  })
}
