// Redaction of secrets in everything that goes into a report. Text is handled
// as latin1 so every byte survives the round trip unchanged (logs are not
// always valid UTF-8) while the ASCII patterns still match. Streams are
// redacted line by line: a chunk is only processed up to its last newline and
// the rest waits for the next chunk, so a secret split across two reads is
// still caught. Private key blocks span lines and are tracked as a state.

export const REDACTED = '[REDACTED]'
const KEY_REDACTED = '[REDACTED PRIVATE KEY]'

/** A line longer than this is processed without waiting for its end (memory bound). */
export const MAX_PENDING_LINE = 1024 * 1024

export interface RedactRule {
  name: string
  /** Must carry the g flag; never matches across a newline. */
  re: RegExp
  /** Replacement computed from the match's groups. */
  replace: (match: string, ...groups: string[]) => string
}

// "pass" alone only after a non-letter (DB_PASS, --db-pass), not in "bypass".
const SECRET_KEYS =
  'password|passwd|passphrase|(?<![a-z])pass|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|client[_-]?secret'

/** The default rules: passwords, tokens, Authorization headers, cloud keys, URL credentials. */
export function defaultRules(): RedactRule[] {
  return [
    {
      // Authorization: Bearer xyz (to the end of the line), "authorization":"Basic ..." (to the quote):
      // the scheme stays, the credential goes.
      name: 'authorization-header',
      re: /\b((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*)(?:(["'])(?:(basic|bearer|digest|token|negotiate|aws4-hmac-sha256)[ \t]+)?[^\r\n\0"']+|(?:(basic|bearer|digest|token|negotiate|aws4-hmac-sha256)[ \t]+)?[^\r\n\0]+)/gi,
      replace: (_m, head: string, quote?: string, s1?: string, s2?: string) => {
        const scheme = s1 ?? s2
        return `${head}${quote ?? ''}${scheme ? `${scheme} ` : ''}${REDACTED}`
      },
    },
    {
      // key=value, key: value, "key": "value", --key=value: the secret word ends the key
      // (DB_PASSWORD=, aws_secret_access_key =), so net.ipv4.ipfrag_secret_interval is left alone.
      name: 'secret-assignment',
      re: new RegExp(
        `((?:${SECRET_KEYS})["']?[ \\t]*[:=][ \\t]*)(?:"([^"\\r\\n\\0]+)"|'([^'\\r\\n\\0]+)'|(?!\\[REDACTED)([^\\s\\0"',;&]+))`,
        'gi',
      ),
      replace(_m: string, head: string, dq?: string, sq?: string) {
        if (dq !== undefined) return `${head}"${REDACTED}"`
        if (sq !== undefined) return `${head}'${REDACTED}'`
        return `${head}${REDACTED}`
      },
    },
    {
      // --password hunter2 (a separate argument after a flag).
      name: 'secret-flag',
      re: new RegExp(`(?<=^|[\\s"'])(--?[A-Za-z0-9_-]*(?:${SECRET_KEYS}))([ \\t]+)([^\\s\\0-][^\\s\\0]*)`, 'gim'),
      replace: (_m, flag: string, sp: string) => `${flag}${sp}${REDACTED}`,
    },
    {
      name: 'url-credentials',
      re: /\b([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)([^@\s/]+)@/gi,
      replace: (_m, head: string) => `${head}${REDACTED}@`,
    },
    {name: 'aws-access-key-id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replace: () => REDACTED},
    {name: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g, replace: () => REDACTED},
    {name: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: () => REDACTED},
    {name: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: () => REDACTED},
    {name: 'jwt', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g, replace: () => REDACTED},
    {
      name: 'bearer-token',
      re: /\b(bearer)[ \t]+(?!\[REDACTED\])[A-Za-z0-9._~+/-]{8,}=*/gi,
      replace: (_m, word: string) => `${word} ${REDACTED}`,
    },
  ]
}

export class RedactRuleError extends Error {
  override name = 'RedactRuleError'
}

/**
 * A user rule from --redact: a JavaScript regular expression, "(?i)" prefix for
 * case-insensitive. Every match is replaced. Rules apply within a line.
 */
export function userRule(source: string): RedactRule {
  let flags = 'g'
  let pattern = source
  if (pattern.startsWith('(?i)')) {
    flags += 'i'
    pattern = pattern.slice(4)
  }
  let re: RegExp
  try {
    // Text is matched as latin1: spell the pattern's non-ASCII characters as their UTF-8 bytes.
    re = new RegExp(Buffer.from(pattern, 'utf8').toString('latin1'), flags + 'm')
  } catch (error) {
    throw new RedactRuleError(`invalid --redact pattern ${JSON.stringify(source)}: ${(error as Error).message}`)
  }
  if (pattern === '' || new RegExp(re.source, re.flags.replace('g', '')).test('')) {
    throw new RedactRuleError(`--redact pattern ${JSON.stringify(source)} matches the empty string`)
  }
  return {name: `user:${source}`, re, replace: () => REDACTED}
}

const BEGIN_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g
const END_KEY = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/
// Lines that can belong to a PEM body: base64, blank, or its headers (RFC 1421, PuTTY/OpenSSH comments).
const KEY_BODY = /^[ \t]*(?:[A-Za-z0-9+/=]*|(?:Proc-Type|DEK-Info|Comment):.*)[ \t\r]*$/

export class Redactor {
  constructor(readonly rules: RedactRule[]) {}

  /** Redacts one complete piece of text (a message, a command line). */
  redactString(text: string): {count: number; text: string} {
    const s = new LineRedactor(this)
    const out = Buffer.concat([s.push(Buffer.from(text, 'utf8')), s.end()]).toString('utf8')
    return {count: s.count, text: out}
  }

  /** Convenience for messages: the redacted text only. */
  clean(text: string): string {
    return this.redactString(text).text
  }

  redactBuffer(data: Buffer): {count: number; data: Buffer} {
    const s = new LineRedactor(this)
    const out = Buffer.concat([s.push(data), s.end()])
    return {count: s.count, data: out}
  }

  stream(): LineRedactor {
    return new LineRedactor(this)
  }

  /** Applies the line rules to text that holds no part of a key block. */
  applyRules(s: string, onHit: () => void): string {
    for (const rule of this.rules) {
      rule.re.lastIndex = 0
      if (!rule.re.test(s)) continue
      rule.re.lastIndex = 0
      s = s.replace(rule.re, (...args: unknown[]) => {
        // args: match, groups..., offset, whole string (no named groups are used).
        const parts = args.slice(0, -2) as string[]
        const out = rule.replace(...(parts as [string, ...string[]]))
        if (out !== parts[0]) onHit()
        return out
      })
    }
    return s
  }
}

/** Redacts a byte stream incrementally; push() returns what can be emitted so far. */
export class LineRedactor {
  count = 0
  private pending: Buffer | undefined
  private inKey = false

  constructor(private readonly redactor: Redactor) {}

  push(chunk: Buffer): Buffer {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = undefined
    const nl = data.lastIndexOf(10)
    if (nl === -1) {
      if (data.length < MAX_PENDING_LINE) {
        this.pending = Buffer.from(data)
        return Buffer.alloc(0)
      }
      return this.region(data)
    }
    if (nl + 1 < data.length) {
      this.pending = Buffer.from(data.subarray(nl + 1))
      data = data.subarray(0, nl + 1)
    }
    return this.region(data)
  }

  end(): Buffer {
    const rest = this.pending
    this.pending = undefined
    return rest ? this.region(rest) : Buffer.alloc(0)
  }

  private region(buf: Buffer): Buffer {
    const s = buf.toString('latin1')
    const hit = () => {
      this.count++
    }
    // Fast path: nothing key-like in sight.
    if (!this.inKey && !s.includes('PRIVATE KEY')) {
      const out = this.redactor.applyRules(s, hit)
      return out === s ? buf : Buffer.from(out, 'latin1')
    }
    let out = ''
    let pos = 0
    while (pos < s.length) {
      if (this.inKey) {
        pos = this.skipKeyBody(s, pos)
        continue
      }
      BEGIN_KEY.lastIndex = pos
      const m = BEGIN_KEY.exec(s)
      if (!m) {
        out += this.redactor.applyRules(s.slice(pos), hit)
        break
      }
      out += this.redactor.applyRules(s.slice(pos, m.index), hit) + KEY_REDACTED
      this.count++
      this.inKey = true
      pos = m.index + m[0].length
    }
    return Buffer.from(out, 'latin1')
  }

  /** Drops key material from pos; returns where normal text resumes. */
  private skipKeyBody(s: string, pos: number): number {
    while (pos < s.length) {
      const nl = s.indexOf('\n', pos)
      const lineEnd = nl === -1 ? s.length : nl
      const line = s.slice(pos, lineEnd)
      const end = END_KEY.exec(line)
      if (end) {
        this.inKey = false
        return pos + end.index + end[0].length
      }
      if (!KEY_BODY.test(line)) {
        // Not key material after all (an unterminated BEGIN): resume normal text here.
        this.inKey = false
        return pos
      }
      pos = nl === -1 ? s.length : nl + 1
    }
    return pos
  }
}
