import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {QueryServer} from '../../src/memlogd/query-server.js'
import {Ring} from '../../src/memlogd/ring.js'
import {queryRaw, tempDir, waitFor} from '../helpers/memlogd.js'

const dir = tempDir('dk-qs-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))

function filledRing(lines: number, bytes = 100): Ring {
  const ring = new Ring(lines, 1 << 30)
  const line = Buffer.from(`{"time":"T","source":"s","msg":"${'x'.repeat(bytes - 40)}"}\n`)
  for (let i = 0; i < lines; i++) {
    const {buf, offset} = ring.reserve(line.length)
    line.copy(buf, offset)
    ring.commit(offset + line.length)
  }
  return ring
}

async function serve(ring: Ring, opts: {clientTimeoutMs?: number; stallTimeoutMs?: number} = {}) {
  const qs = new QueryServer({ring, instance: 'abc', clientTimeoutMs: opts.clientTimeoutMs ?? 5000, stallTimeoutMs: opts.stallTimeoutMs})
  const server = net.createServer({allowHalfOpen: true})
  qs.attach(server)
  const sock = path.join(dir, `q${Math.random().toString(16).slice(2)}.sock`)
  await new Promise<void>((r) => server.listen(sock, r))
  return {
    qs, sock,
    close: () => {
      qs.close()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** Sends a resume request and returns the first `lines` lines of the reply (the connection keeps following). */
async function resumeReply(sock: string, request: string, lines: number): Promise<string[]> {
  const c = net.createConnection(sock)
  let out = ''
  c.on('data', (d) => (out += d))
  await new Promise((r) => c.once('connect', r))
  c.write(request)
  try {
    await waitFor(() => out.split('\n').length > lines, 2000, `${lines} reply lines`)
  } finally {
    c.destroy()
  }
  return out.trimEnd().split('\n')
}

describe('QueryServer', () => {
  it('closes a dump client that stops reading, releasing its snapshot', async () => {
    const s = await serve(filledRing(200_000), {stallTimeoutMs: 300})
    const c = net.createConnection(s.sock)
    try {
      await new Promise((r) => c.once('connect', r))
      c.pause()
      c.write(Buffer.from([0]))
      await waitFor(() => s.qs.clientCount === 1, 2000, 'client registered')
      await waitFor(() => s.qs.clientCount === 0, 5000, 'stalled dump client closed')
    } finally {
      c.destroy()
      await s.close()
    }
  })

  it('keeps a slow but reading dump client until the dump is complete', async () => {
    const s = await serve(filledRing(50_000), {stallTimeoutMs: 300})
    try {
      const got = await queryRaw(s.sock, [0], 10_000)
      assert.equal(got.toString().split('\n').length - 1, 50_000)
    } finally {
      await s.close()
    }
  })

  it('says "incomplete query request" for a resume request that never ends', async () => {
    const s = await serve(filledRing(1), {clientTimeoutMs: 200})
    try {
      const got = JSON.parse((await queryRaw(s.sock, Buffer.from('R'))).toString())
      assert.equal(got.source, 'memlogd')
      assert.equal(got.msg, 'an incomplete query request within 0.2s; closing')
    } finally {
      await s.close()
    }
  })

  it('answers a resume request for another instance with the whole ring after a header', async () => {
    const s = await serve(filledRing(3))
    try {
      const [header, ...entries] = await resumeReply(s.sock, 'Rother:2\n', 4)
      assert.deepEqual(JSON.parse(header), {instance: 'abc', next: 1, lost: 0})
      assert.equal(entries.length, 3)
    } finally {
      await s.close()
    }
  })

  it('resumes after a seq of the same instance', async () => {
    const s = await serve(filledRing(10))
    try {
      const [header, ...entries] = await resumeReply(s.sock, 'Rabc:7\n', 3)
      assert.deepEqual(JSON.parse(header), {instance: 'abc', next: 8, lost: 0})
      assert.equal(entries.length, 3)
    } finally {
      await s.close()
    }
  })

  it('counts entries that left the ring since the resume point as lost', async () => {
    const ring = new Ring(5, 1 << 30)
    for (let i = 0; i < 10; i++) {
      const {buf, offset} = ring.reserve(8)
      ring.commit(offset + buf.write(`{"n":${i}}\n`, offset))
    }
    const s = await serve(ring)
    try {
      const [header, ...entries] = await resumeReply(s.sock, 'Rabc:2\n', 6)
      assert.deepEqual(JSON.parse(header), {instance: 'abc', next: 6, lost: 3})
      assert.deepEqual(entries, ['{"n":5}', '{"n":6}', '{"n":7}', '{"n":8}', '{"n":9}'])
    } finally {
      await s.close()
    }
  })
})
