/**
 * The fault-matrix soak: `npm run soak` (default `--seeds 10000 --workers 2`).
 *
 * Runs seeds 0…seeds−1 of the fault matrix (`scripts/soak/matrix.ts`), each one seeded trial in virtual
 * time (`scripts/soak/trial.ts`), spread over worker threads, prints progress with an ETA every few
 * seconds, and writes docs/RELIABILITY.md (generated: never edit it by hand).
 *
 *   npx tsx scripts/soak/index.ts --seeds 10000 --workers 2   # the full soak
 *   npx tsx scripts/soak/index.ts --seeds 300 --out /tmp/r.md  # a quick look, elsewhere
 *   npx tsx scripts/soak/index.ts --seed 1234                  # re-run one seed, print its report
 *   npx tsx scripts/soak/index.ts --raw /tmp/soak.json          # also keep every trial's report …
 *   npx tsx scripts/soak/index.ts --render /tmp/soak.json       # … and re-render the page from it later
 *
 * Exit code 1 if any trial broke safety (a disagreement, conflicting certificates) or detection, or
 * threw.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { matrixCells, SoakPlan, type Cell } from './matrix.js'
import { renderReliability, SoakAggregate, type SoakMeta } from './reliability.js'
import { runTrial, type TrialOptions, type TrialReport } from './trial.js'

interface Job { seed: number, options: TrialOptions }
type Outcome = { seed: number, report: TrialReport, wallMs: number } | { seed: number, error: string }

if (!isMainThread) {
  // worker: run the trials the main thread hands over, one at a time
  const port = parentPort as NonNullable<typeof parentPort>
  port.on('message', (job: Job) => {
    const started = performance.now()
    runTrial(job.options).then(
      report => { port.postMessage({ seed: job.seed, report, wallMs: performance.now() - started } satisfies Outcome) },
      (err: any) => { port.postMessage({ seed: job.seed, error: String(err?.stack ?? err) } satisfies Outcome) }
    )
  })
} else {
  await main()
}

function clock (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

function describeCell (cell: Cell): string {
  return `${cell.id}: N=${cell.agents} crash=${cell.crash} partition=${cell.partition} loss=${cell.loss} ` +
    `jitter=${cell.jitterMs}ms skew=±${cell.skewMs}ms timeout=${cell.timeoutMs}ms`
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '10000' },
      workers: { type: 'string', default: '2' },
      out: { type: 'string', default: fileURLToPath(new URL('../../docs/RELIABILITY.md', import.meta.url)) },
      corpus: { type: 'string', default: fileURLToPath(new URL('../../docs/adversarial-corpus.md', import.meta.url)) },
      // how often a cell of each N appears in the seed cycle, e.g. "5:2,20:2,50:1"
      weights: { type: 'string', default: '5:1,20:1,50:1' },
      progress: { type: 'string', default: '5' },
      seed: { type: 'string' },
      raw: { type: 'string' },
      render: { type: 'string' }
    }
  })
  const weights: Record<number, number> = {}
  for (const part of (values.weights ?? '').split(',')) {
    const [n, w] = part.split(':').map(Number)
    if (n !== undefined && w !== undefined && Number.isFinite(n) && Number.isFinite(w)) weights[n] = w
  }
  const plan = new SoakPlan(matrixCells(), cell => weights[cell.agents] ?? 1)

  if (values.seed !== undefined) {
    const seed = Number(values.seed)
    const options = plan.trial(seed)
    console.log(describeCell(plan.cellOf(seed)))
    console.log('options', JSON.stringify(options))
    console.log(JSON.stringify(await runTrial(options), null, 2))
    return
  }

  const corpus = values.corpus !== undefined && existsSync(values.corpus) ? readFileSync(values.corpus, 'utf8') : undefined
  if (values.render !== undefined) {
    // re-render a saved run (same trials, same figures; only the page layout may differ)
    const saved = JSON.parse(readFileSync(values.render, 'utf8')) as { meta: SoakMeta, weights: Record<number, number>, outcomes: Outcome[] }
    const replay = new SoakPlan(matrixCells(), cell => saved.weights[cell.agents] ?? 1)
    const agg = new SoakAggregate(replay.cells)
    for (const o of saved.outcomes) {
      if ('error' in o) agg.error(replay.cellOf(o.seed), o.seed)
      else agg.add(replay.cellOf(o.seed), o.report, o.wallMs)
    }
    writeFileSync(values.out as string, renderReliability(agg, saved.meta, corpus))
    console.log(`[soak] re-rendered ${saved.outcomes.length} trials from ${values.render} into ${values.out}`)
    return
  }

  const total = Number(values.seeds)
  const workerCount = Math.max(1, Number(values.workers))
  if (!Number.isInteger(total) || total < 1) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`)
  const agg = new SoakAggregate(plan.cells)
  const started = performance.now()
  console.log(`[soak] ${total} trials over ${plan.cells.length} cells (cycle ${plan.cycle.length}), ${workerCount} workers`)

  const outcomes: Outcome[] = []
  let next = 0
  let done = 0
  const violations: string[] = []
  const progressMs = Math.max(1, Number(values.progress)) * 1000
  const progress = setInterval(() => {
    const elapsed = performance.now() - started
    const rate = done / (elapsed / 1000)
    const eta = rate > 0 ? (total - done) / rate * 1000 : NaN
    console.log(`[soak] ${done}/${total} (${(100 * done / total).toFixed(1)} %) ${rate.toFixed(1)} trials/s, ` +
      `elapsed ${clock(elapsed)}, ETA ${Number.isFinite(eta) ? clock(eta) : '?'}, violations ${violations.length}`)
  }, progressMs)

  await Promise.all(Array.from({ length: workerCount }, async () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url))
    const feed = (): void => {
      if (next >= total) { void worker.terminate().then(() => { resolve() }); return }
      const seed = next++
      worker.postMessage({ seed, options: plan.trial(seed) } satisfies Job)
    }
    worker.on('message', (outcome: Outcome) => {
      done++
      if (values.raw !== undefined) outcomes.push(outcome)
      const cell = plan.cellOf(outcome.seed)
      if ('error' in outcome) {
        agg.error(cell, outcome.seed)
        violations.push(`seed ${outcome.seed} threw (${describeCell(cell)}): ${outcome.error}`)
        console.error(`[soak] seed ${outcome.seed} THREW — ${describeCell(cell)}\n${outcome.error}`)
      } else {
        const r = outcome.report
        agg.add(cell, r, outcome.wallMs)
        if (r.disagreements > 0 || r.conflictingCertificates > 0 || r.twoClosesDetected < r.twoClosesVerified) {
          const what = `seed ${r.seed}: disagreements ${r.disagreements}, certificates ${r.certificates}, ` +
            `conflicting closes detected ${r.twoClosesDetected}/${r.twoClosesVerified} — ${describeCell(cell)}`
          violations.push(what)
          console.error(`[soak] SAFETY/DETECTION VIOLATION ${what}`)
        }
      }
      feed()
    })
    worker.on('error', reject)
    feed()
  })))
  clearInterval(progress)
  const wallMs = performance.now() - started

  const cpuList = cpus()
  const meta: SoakMeta = {
    command: `npm run soak -- --seeds ${total} --workers ${workerCount}${values.weights === '5:1,20:1,50:1' ? '' : ` --weights ${values.weights}`}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
    cpus: typeof availableParallelism === 'function' ? availableParallelism() : cpuList.length,
    node: process.version,
    workers: workerCount,
    wallMs,
    seeds: total,
    weights: Object.fromEntries([...new Set(plan.cells.map(c => c.agents))].map(n => [n, weights[n] ?? 1])),
    cycle: plan.cycle.length
  }
  writeFileSync(values.out as string, renderReliability(agg, meta, corpus))
  if (values.raw !== undefined) writeFileSync(values.raw, JSON.stringify({ meta, weights, outcomes }))

  const t = agg.total
  console.log(`[soak] done: ${t.trials} trials in ${clock(wallMs)} (CPU in trials ${clock(t.wallMs)}); wrote ${values.out}`)
  console.log(`[soak] disagreements ${t.disagreements}, conflicting certificates ${t.conflictingCertificates}, ` +
    `conflicting closes detected ${t.twoClosesDetected}/${t.twoClosesVerified}, finalized ${(100 * t.share(4)).toFixed(1)} % of live agents`)
  if (violations.length > 0) {
    console.error(`[soak] ${violations.length} violation(s):\n${violations.join('\n')}`)
    process.exitCode = 1
  }
}
