import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {defaultRules, MAX_PENDING_LINE, RedactRuleError, Redactor, userRule} from '../../src/diagnose/redact.js'

const r = new Redactor(defaultRules())
const red = (s: string) => r.redactString(s)

describe('default redaction rules', () => {
  const cases: [string, string, string][] = [
    ['password=', 'db password=hunter2 ok', 'db password=[REDACTED] ok'],
    ['env var', 'DB_PASSWORD=s3cr3t', 'DB_PASSWORD=[REDACTED]'],
    ['yaml', 'client_secret: abc123def', 'client_secret: [REDACTED]'],
    ['json', '{"password": "p@ss word", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'],
    ['single quotes', "token='t0k3n'", "token='[REDACTED]'"],
    ['aws secret key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['aws key id', 'key AKIAIOSFODNN7EXAMPLE used', 'key [REDACTED] used'],
    ['authorization header', 'Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [REDACTED]'],
    ['authorization in JSON', '{"Authorization":"Bearer abc","n":1}', '{"Authorization":"Bearer [REDACTED]","n":1}'],
    ['basic auth', 'authorization: Basic dXNlcjpwYXNz', 'authorization: Basic [REDACTED]'],
    ['proxy authorization', 'Proxy-Authorization: Digest username="x"', 'Proxy-Authorization: Digest [REDACTED]'],
    ['url credentials', 'fetch https://alice:pa55@example.com/x', 'fetch https://alice:[REDACTED]@example.com/x'],
    ['github token', 'ghp_' + 'a'.repeat(36), '[REDACTED]'],
    ['slack token', 'xoxb-1234567890-abcdef', '[REDACTED]'],
    ['google api key', 'AIza' + 'B'.repeat(35), '[REDACTED]'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop', '[REDACTED]'],
    ['bearer in prose', 'sent bearer abcdefgh12345678', 'sent bearer [REDACTED]'],
    ['cli flag', 'mysql --password hunter2 -u root', 'mysql --password [REDACTED] -u root'],
    ['cli flag =', 'app --api-key=XYZ123', 'app --api-key=[REDACTED]'],
    ['short pass key', 'DB_PASS=hunter3 x', 'DB_PASS=[REDACTED] x'],
    ['pass flag', 'tool --db-pass s3cr3t -v', 'tool --db-pass [REDACTED] -v'],
    [
      'NUL-separated (/proc/*/environ): each value ends at its NUL',
      'GITHUB_TOKEN=' + 'ghp_' + 'a'.repeat(36) + '\u0000API_KEY=a\u0000DB_PASS=b\u0000ZZZ=visible\u0000',
      'GITHUB_TOKEN=[REDACTED]\u0000API_KEY=[REDACTED]\u0000DB_PASS=[REDACTED]\u0000ZZZ=visible\u0000',
    ],
    ['authorization ends at NUL', 'Authorization: Bearer abc\u0000NEXT=1', 'Authorization: Bearer [REDACTED]\u0000NEXT=1'],
  ]
  for (const [name, input, want] of cases) {
    it(`redacts ${name}`, () => {
      const out = red(input)
      assert.equal(out.text, want)
      assert.ok(out.count >= 1)
    })
  }

  const untouched = [
    'net.ipv4.ipfrag_secret_interval = 0',
    'password_hash_algorithm=sha512',
    'token expired for user bob',
    'the passwordless login worked',
    'Authorization failed',
    'GET /api/v1/items?page=2',
    'bypass=1 compass: north',
  ]
  for (const input of untouched) {
    it(`leaves alone: ${input}`, () => {
      assert.deepEqual(red(input), {count: 0, text: input})
    })
  }

  it('counts each value', () => {
    assert.equal(red('password=a\ntoken=b\nAKIAIOSFODNN7EXAMPLE\n').count, 3)
  })

  it('replaces a private key block (BEGIN to END) and keeps what surrounds it', () => {
    const key = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn', 'Proc-Type: 4,ENCRYPTED', 'aGVsbG8=', '-----END RSA PRIVATE KEY-----'].join('\n')
    const out = red(`before\n${key}\nafter\n`)
    assert.equal(out.text, 'before\n[REDACTED PRIVATE KEY]\nafter\n')
    assert.equal(out.count, 1)
  })

  it('replaces a key block written on one line (JSON with \\n escapes)', () => {
    const out = red('{"key":"-----BEGIN PRIVATE KEY-----\\nMIIabc\\n-----END PRIVATE KEY-----","x":1}')
    assert.equal(out.text, '{"key":"[REDACTED PRIVATE KEY]","x":1}')
  })

  it('an unterminated BEGIN only swallows key-like lines', () => {
    const out = red('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\nerror: key file truncated\nnext line\n')
    assert.equal(out.text, '[REDACTED PRIVATE KEY]error: key file truncated\nnext line\n')
  })
})

describe('streaming redaction', () => {
  const input = Buffer.from(
    'line one\nuser=bob password=hunter2 x\nAuthorization: Bearer abcdefghijk\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nAoGBAN==\n-----END EC PRIVATE KEY-----\nkey AKIAIOSFODNN7EXAMPLE end\nlast token=zz',
  )
  const whole = r.redactBuffer(input)

  it('gives the same result wherever the chunks split (every split point, two chunks)', () => {
    for (let i = 0; i <= input.length; i++) {
      const s = r.stream()
      const out = Buffer.concat([s.push(input.subarray(0, i)), s.push(input.subarray(i)), s.end()])
      assert.equal(out.toString(), whole.data.toString(), `split at ${i}`)
      assert.equal(s.count, whole.count, `count with split at ${i}`)
    }
    assert.equal(whole.count, 5)
    assert.ok(!whole.data.toString().includes('hunter2'))
    assert.ok(!whole.data.toString().includes('MHcCAQEEIB'))
  })

  it('gives the same result fed one byte at a time', () => {
    const s = r.stream()
    const parts: Buffer[] = []
    for (const b of input) parts.push(s.push(Buffer.from([b])))
    parts.push(s.end())
    assert.equal(Buffer.concat(parts).toString(), whole.data.toString())
  })

  it('keeps bytes that are not UTF-8 exactly', () => {
    const bin = Buffer.from([0xff, 0xfe, 0x0a, 0x80, 0x41, 0x0a, 0xc3])
    assert.deepEqual(r.redactBuffer(bin).data, bin)
  })

  it('does not hold an endless line in memory', () => {
    const s = r.stream()
    const out = s.push(Buffer.alloc(MAX_PENDING_LINE + 10, 0x61))
    assert.equal(out.length, MAX_PENDING_LINE + 10)
  })
})

describe('user rules (--redact)', () => {
  it('replaces every match', () => {
    const ur = new Redactor([userRule('customer-[0-9]+')])
    assert.deepEqual(ur.redactString('customer-12 and customer-345 and customer-x'), {count: 2, text: '[REDACTED] and [REDACTED] and customer-x'})
  })
  it('(?i) makes it case-insensitive', () => {
    const ur = new Redactor([userRule('(?i)secretproject')])
    assert.equal(ur.clean('SecretProject alpha'), '[REDACTED] alpha')
  })
  it('matches non-ASCII literals', () => {
    const ur = new Redactor([userRule('пароль')])
    assert.equal(ur.clean('мой пароль тут'), 'мой [REDACTED] тут')
  })
  it('rejects an invalid pattern', () => {
    assert.throws(() => userRule('(unclosed'), RedactRuleError)
  })
  it('rejects a pattern that matches the empty string', () => {
    assert.throws(() => userRule('a*'), /matches the empty string/)
    assert.throws(() => userRule(''), /matches the empty string/)
  })
})
