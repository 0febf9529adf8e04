// Runs collectors concurrently, each under its own timeout and all under the
// overall deadline. A collector that does not stop when its signal fires is
// abandoned after a short grace period: it can no longer add files, and the
// report goes on without waiting for it.

import {type Collector, type CollectorContext, type CollectorResult, SkipCollector} from './types.js'

export interface RunnerOptions {
  /** Default per-collector timeout. */
  timeoutMs: number
  /** Aborted at the overall deadline or on an interrupt. */
  signal: AbortSignal
  /** Time a stopped collector gets to hand in what it has. */
  graceMs?: number
  /** Builds the context; `isOpen` turns false once the collector is settled. */
  context(c: Collector, signal: AbortSignal, isOpen: () => boolean): CollectorContext
  onStart?(name: string): void
  onEnd?(result: CollectorResult): void
  clean?(text: string): string
}

const sleep = (ms: number) => new Promise<'grace'>((resolve) => setTimeout(resolve, ms, 'grace'))

export async function runCollectors(collectors: Collector[], opts: RunnerOptions): Promise<CollectorResult[]> {
  return Promise.all(collectors.map((c) => runOne(c, opts)))
}

async function runOne(c: Collector, opts: RunnerOptions): Promise<CollectorResult> {
  const startedAt = new Date()
  const t0 = performance.now()
  const timeoutMs = c.timeoutMs ?? opts.timeoutMs
  const ac = new AbortController()
  let why: string | undefined
  const stop = (reason: string) => {
    if (ac.signal.aborted) return
    why = reason
    ac.abort(new Error(reason))
  }
  const timer = setTimeout(() => stop(`timed out after ${fmtSeconds(timeoutMs)}`), timeoutMs)
  const onParent = () => stop(String((opts.signal.reason as Error | undefined)?.message ?? 'stopped'))
  if (opts.signal.aborted) onParent()
  else opts.signal.addEventListener('abort', onParent, {once: true})
  let open = true
  const ctx = opts.context(c, ac.signal, () => open)
  opts.onStart?.(c.name)

  type Settled = {error: unknown; kind: 'error'} | {kind: 'done'; value: Awaited<ReturnType<Collector['run']>>}
  const work: Promise<Settled> = Promise.resolve()
    .then(() => c.run(ctx))
    .then(
      (value) => ({kind: 'done', value}) as const,
      (error: unknown) => ({error, kind: 'error'}) as const,
    )
  const aborted = new Promise<'aborted'>((resolve) => {
    if (ac.signal.aborted) resolve('aborted')
    else ac.signal.addEventListener('abort', () => resolve('aborted'), {once: true})
  })
  let settled = await Promise.race([work, aborted])
  if (settled === 'aborted') {
    // Let it hand in its partial output, but no longer than the grace period.
    const late = await Promise.race([work, sleep(opts.graceMs ?? 1000)])
    settled = late === 'grace' ? 'aborted' : late
  }
  open = false
  clearTimeout(timer)
  opts.signal.removeEventListener('abort', onParent)

  const clean = opts.clean ?? ((s: string) => s)
  const result: CollectorResult = {
    name: c.name,
    status: 'ok',
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    bytes: 0,
    truncated: false,
    files: [],
  }
  if (why !== undefined) {
    // Stopped: whatever it managed to add stays, marked as timed out.
    result.status = 'timed-out'
    result.error = why
    if (settled !== 'aborted' && settled.kind === 'done' && settled.value?.details) result.details = settled.value.details
  } else if (settled === 'aborted') {
    result.status = 'timed-out'
    result.error = 'stopped'
  } else if (settled.kind === 'error') {
    const err = settled.error
    result.status = err instanceof SkipCollector ? 'skipped' : 'failed'
    result.error = clean(err instanceof Error ? err.message : String(err))
  } else {
    const out = settled.value
    if (out?.status === 'failed') result.status = 'failed'
    if (out?.error) result.error = clean(out.error)
    if (out?.details) result.details = out.details
  }
  opts.onEnd?.(result)
  return result
}

export function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}
