// The log entry as it travels on the query socket: one JSON object per line.
// time, source and msg are always present; diagkit adds seq (PROTOCOL.md §3).

export interface LogEntry {
  time: string
  source: string
  msg: string
  /** diagkit: position in the daemon's ring; absent from a LinuxKit memlogd. */
  seq?: number
}

export class EntryParseError extends Error {
  override name = 'EntryParseError'
}

/** Parses one NDJSON line (without its newline) into an entry, checking the required fields. */
export function parseEntry(line: string): LogEntry {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new EntryParseError(`not a JSON log entry: ${JSON.stringify(line.slice(0, 80))}`)
  }
  if (typeof value !== 'object' || value === null) throw new EntryParseError('log entry is not a JSON object')
  const v = value as Record<string, unknown>
  if (typeof v.time !== 'string' || typeof v.source !== 'string' || typeof v.msg !== 'string') {
    throw new EntryParseError('log entry lacks time, source or msg')
  }
  const entry: LogEntry = {time: v.time, source: v.source, msg: v.msg}
  if (typeof v.seq === 'number' && Number.isSafeInteger(v.seq)) entry.seq = v.seq
  return entry
}

/** Encodes an entry as one NDJSON line including the newline. */
export function encodeEntry(entry: LogEntry): string {
  const base: Record<string, unknown> = {time: entry.time, source: entry.source, msg: entry.msg}
  if (entry.seq !== undefined) base.seq = entry.seq
  return JSON.stringify(base) + '\n'
}
