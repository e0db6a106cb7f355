/**
 * The fault-matrix soak: `npm run soak` (default `--seeds 10000 --workers 2`).
 *
 * Runs seeds 0…seeds−1 of the fault matrix (`scripts/soak/matrix.ts`), each one seeded trial in virtual
 * time (`scripts/soak/trial.ts`), then seeds 0…byzantine−1 of the Byzantine cells
 * (`scripts/soak/byzantine.ts`), then seeds 0…ballots−1 of the ballot cells (`scripts/soak/ballots.ts`),
 * spread over worker threads, prints progress with an ETA every few
 * seconds, and writes docs/RELIABILITY.md (generated: never edit it by hand).
 *
 *   npx tsx scripts/soak/index.ts --seeds 10000 --workers 2   # the full soak (and --byzantine 2100)
 *   npx tsx scripts/soak/index.ts --seeds 300 --byzantine 210 --out /tmp/r.md  # a quick look, elsewhere
 *   npx tsx scripts/soak/index.ts --seed 1234                  # re-run one seed, print its report
 *   npx tsx scripts/soak/index.ts --byzantine-seed 17          # re-run one Byzantine seed
 *   npx tsx scripts/soak/index.ts --cells ballots --seeds 600  # only the ballot cells: prints their section (writes it to --out if given)
 *   npx tsx scripts/soak/index.ts --ballot-seed 5              # re-run one ballot seed
 *   npx tsx scripts/soak/index.ts --raw /tmp/soak.json          # also keep every trial's report …
 *   npx tsx scripts/soak/index.ts --render /tmp/soak.json       # … and re-render the page from it later
 *
 * Exit code 1 if any trial broke safety (a disagreement, conflicting certificates, two winners) or
 * detection or liveness, or threw.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { BallotAggregate, ballotCells, ballotTrial, ballotViolation, renderBallots, runBallotTrial, type BallotOptions, type BallotReport } from './ballots.js'
import { byzantineCells, byzantineTrial, runByzantineTrial, type ByzantineOptions, type ByzantineReport } from './byzantine.js'
import { ByzantineAggregate, renderByzantine } from './byzantine-report.js'
import { matrixCells, SoakPlan, type Cell } from './matrix.js'
import { renderReliability, SoakAggregate, type SoakMeta } from './reliability.js'
import { runTrial, type TrialOptions, type TrialReport } from './trial.js'

type Job = { kind: 'matrix', seed: number, options: TrialOptions } | { kind: 'byzantine', seed: number, options: ByzantineOptions }
  | { kind: 'ballots', seed: number, options: BallotOptions }
type Outcome = { seed: number, report: TrialReport, wallMs: number } | { seed: number, error: string }
type ByzantineOutcome = { seed: number, report: ByzantineReport, wallMs: number } | { seed: number, error: string }
type BallotOutcome = { seed: number, report: BallotReport, wallMs: number } | { seed: number, error: string }
type Answer = { kind: 'matrix', outcome: Outcome } | { kind: 'byzantine', outcome: ByzantineOutcome } | { kind: 'ballots', outcome: BallotOutcome }

/** The trial families `--cells` picks from. */
const FAMILIES = ['matrix', 'byzantine', 'ballots'] as const

if (!isMainThread) {
  // worker: run the trials the main thread hands over, one at a time
  const port = parentPort as NonNullable<typeof parentPort>
  port.on('message', (job: Job) => {
    const started = performance.now()
    const failed = (err: any): void => { port.postMessage({ kind: job.kind, outcome: { seed: job.seed, error: String(err?.stack ?? err) } } satisfies Answer) }
    if (job.kind === 'matrix') {
      runTrial(job.options).then(report => {
        port.postMessage({ kind: 'matrix', outcome: { seed: job.seed, report, wallMs: performance.now() - started } } satisfies Answer)
      }, failed)
    } else if (job.kind === 'byzantine') {
      runByzantineTrial(job.options).then(report => {
        port.postMessage({ kind: 'byzantine', outcome: { seed: job.seed, report, wallMs: performance.now() - started } } satisfies Answer)
      }, failed)
    } else {
      runBallotTrial(job.options).then(report => {
        port.postMessage({ kind: 'ballots', outcome: { seed: job.seed, report, wallMs: performance.now() - started } } satisfies Answer)
      }, failed)
    }
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
      seeds: { type: 'string' },
      workers: { type: 'string', default: '2' },
      // default docs/RELIABILITY.md, when the fault matrix runs
      out: { type: 'string' },
      // which trial families run: matrix, byzantine, ballots (comma-separated); with one family, --seeds counts its trials
      cells: { type: 'string', default: FAMILIES.join(',') },
      corpus: { type: 'string', default: fileURLToPath(new URL('../../docs/adversarial-corpus.md', import.meta.url)) },
      // how often a cell of each N appears in the seed cycle, e.g. "5:2,20:2,50:1"
      weights: { type: 'string', default: '5:1,20:1,50:1' },
      progress: { type: 'string', default: '5' },
      seed: { type: 'string' },
      // Byzantine trials after the matrix's (0 for none); they are cheap (N ≤ 10)
      byzantine: { type: 'string' },
      'byzantine-seed': { type: 'string' },
      // ballot-cell trials after the Byzantine ones (0 for none)
      ballots: { type: 'string' },
      'ballot-seed': { type: 'string' },
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
  const byzCells = byzantineCells()
  const ballotCellList = ballotCells()
  const families = new Set((values.cells ?? '').split(',').map(f => f.trim()).filter(f => f !== ''))
  for (const f of families) if (!(FAMILIES as readonly string[]).includes(f)) throw new Error(`--cells takes ${FAMILIES.join(', ')}; got ${f}`)
  const only = families.size === 1 ? [...families][0] : undefined
  const outPath = values.out ?? (families.has('matrix') ? fileURLToPath(new URL('../../docs/RELIABILITY.md', import.meta.url)) : undefined)

  if (values['ballot-seed'] !== undefined) {
    const options = ballotTrial(Number(values['ballot-seed']), ballotCellList)
    console.log('options', JSON.stringify(options))
    console.log(JSON.stringify(await runBallotTrial(options), null, 2))
    return
  }

  if (values['byzantine-seed'] !== undefined) {
    const options = byzantineTrial(Number(values['byzantine-seed']), byzCells)
    console.log('options', JSON.stringify(options))
    console.log(JSON.stringify(await runByzantineTrial(options), null, 2))
    return
  }

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
    const saved = JSON.parse(readFileSync(values.render, 'utf8')) as {
      meta: SoakMeta, weights: Record<number, number>, outcomes: Outcome[], byzantine?: ByzantineOutcome[], ballots?: BallotOutcome[]
    }
    const replay = new SoakPlan(matrixCells(), cell => saved.weights[cell.agents] ?? 1)
    const agg = new SoakAggregate(replay.cells)
    for (const o of saved.outcomes) {
      if ('error' in o) agg.error(replay.cellOf(o.seed), o.seed)
      else agg.add(replay.cellOf(o.seed), o.report, o.wallMs)
    }
    const byz = new ByzantineAggregate(byzCells)
    for (const o of saved.byzantine ?? []) {
      const cell = byzantineTrial(o.seed, byzCells).cell
      if ('error' in o) byz.error(cell, o.seed)
      else byz.add(cell, o.report)
    }
    const bal = new BallotAggregate(ballotCellList)
    for (const o of saved.ballots ?? []) {
      const cell = ballotTrial(o.seed, ballotCellList).cell
      if ('error' in o) bal.error(cell, o.seed)
      else bal.add(cell, o.report)
    }
    const extra = [...(byz.total.trials > 0 ? renderByzantine(byz) : []), ...(bal.total.trials > 0 ? renderBallots(bal, saved.meta.command) : [])]
    const target = outPath ?? fileURLToPath(new URL('../../docs/RELIABILITY.md', import.meta.url))
    writeFileSync(target, renderReliability(agg, saved.meta, corpus, extra))
    console.log(`[soak] re-rendered ${saved.outcomes.length} trials from ${values.render} into ${target}`)
    return
  }

  // with one family, --seeds counts its trials; otherwise the matrix's
  const countOf = (family: typeof FAMILIES[number], own: string | undefined, fallback: string): number =>
    families.has(family) ? Number(own ?? (only === family ? values.seeds : undefined) ?? fallback) : 0
  const matrixTotal = countOf('matrix', values.seeds, '10000')
  const byzTotal = countOf('byzantine', values.byzantine, '2100')
  const ballotTotal = countOf('ballots', values.ballots, '240')
  const total = matrixTotal + byzTotal + ballotTotal
  const workerCount = Math.max(1, Number(values.workers))
  if (!Number.isInteger(matrixTotal) || matrixTotal < (families.has('matrix') ? 1 : 0)) {
    throw new Error(`--seeds must be a positive integer, got ${values.seeds}`)
  }
  if (!Number.isInteger(byzTotal) || byzTotal < 0) throw new Error(`--byzantine must be a whole number, got ${values.byzantine}`)
  if (!Number.isInteger(ballotTotal) || ballotTotal < 0) throw new Error(`--ballots must be a whole number, got ${values.ballots}`)
  if (total === 0) throw new Error('nothing to run')
  const agg = new SoakAggregate(plan.cells)
  const byz = new ByzantineAggregate(byzCells)
  const bal = new BallotAggregate(ballotCellList)
  const started = performance.now()
  let matrixWallMs = 0
  console.log(`[soak] ${matrixTotal} trials over ${plan.cells.length} cells (cycle ${plan.cycle.length}), ` +
    `then ${byzTotal} Byzantine trials over ${byzCells.length} cells, then ${ballotTotal} ballot trials over ${ballotCellList.length} cells, ` +
    `${workerCount} workers`)

  const outcomes: Outcome[] = []
  const byzOutcomes: ByzantineOutcome[] = []
  const ballotOutcomes: BallotOutcome[] = []
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
      const n = next++
      if (n < matrixTotal) worker.postMessage({ kind: 'matrix', seed: n, options: plan.trial(n) } satisfies Job)
      else if (n < matrixTotal + byzTotal) {
        worker.postMessage({ kind: 'byzantine', seed: n - matrixTotal, options: byzantineTrial(n - matrixTotal, byzCells) } satisfies Job)
      } else {
        const seed = n - matrixTotal - byzTotal
        worker.postMessage({ kind: 'ballots', seed, options: ballotTrial(seed, ballotCellList) } satisfies Job)
      }
    }
    worker.on('message', (answer: Answer) => {
      done++
      if (done === matrixTotal) matrixWallMs = performance.now() - started
      if (answer.kind === 'byzantine') {
        onByzantine(answer.outcome)
        feed()
        return
      }
      if (answer.kind === 'ballots') {
        onBallot(answer.outcome)
        feed()
        return
      }
      const outcome = answer.outcome
      if (values.raw !== undefined) outcomes.push(outcome)
      const cell = plan.cellOf(outcome.seed)
      if ('error' in outcome) {
        agg.error(cell, outcome.seed)
        violations.push(`seed ${outcome.seed} threw (${describeCell(cell)}): ${outcome.error}`)
        console.error(`[soak] seed ${outcome.seed} THREW — ${describeCell(cell)}\n${outcome.error}`)
      } else {
        const r = outcome.report
        agg.add(cell, r, outcome.wallMs)
        if (r.liveReached > 0 && r.liveFinalized < r.live) {
          // every matrix cell heals with more than 2/3 of the weight running and connected: all must finalize
          const what = `seed ${r.seed}: finalized ${r.liveFinalized} of ${r.live} live agents (${r.liveReached} held the proposal) — ${describeCell(cell)}`
          violations.push(what)
          console.error(`[soak] LIVENESS VIOLATION ${what}`)
        }
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

  function onByzantine (outcome: ByzantineOutcome): void {
    if (values.raw !== undefined) byzOutcomes.push(outcome)
    const cell = byzantineTrial(outcome.seed, byzCells).cell
    if ('error' in outcome) {
      byz.error(cell, outcome.seed)
      violations.push(`Byzantine seed ${outcome.seed} threw (${cell.id}): ${outcome.error}`)
      console.error(`[soak] Byzantine seed ${outcome.seed} THREW — ${cell.id}\n${outcome.error}`)
      return
    }
    const r = outcome.report
    byz.add(cell, r)
    if (r.disagreements > 0 || r.conflictingCertificates > 0 || (r.liveReached > 0 && r.liveFinalized < r.live)) {
      const what = `Byzantine seed ${r.seed} (${cell.id}${r.split === undefined ? '' : `, split ${r.split}`}): disagreements ${r.disagreements}, ` +
        `conflicting certificates ${r.conflictingCertificates}, finalized ${r.liveFinalized} of ${r.live} live honest members`
      violations.push(what)
      console.error(`[soak] SAFETY/LIVENESS VIOLATION ${what}`)
    }
  }
  function onBallot (outcome: BallotOutcome): void {
    if (values.raw !== undefined) ballotOutcomes.push(outcome)
    const cell = ballotTrial(outcome.seed, ballotCellList).cell
    if ('error' in outcome) {
      bal.error(cell, outcome.seed)
      violations.push(`ballot seed ${outcome.seed} threw (${cell.id}): ${outcome.error}`)
      console.error(`[soak] ballot seed ${outcome.seed} THREW — ${cell.id}\n${outcome.error}`)
      return
    }
    const r = outcome.report
    bal.add(cell, r)
    if (ballotViolation(r)) {
      const what = `ballot seed ${r.seed} (${cell.id}): disagreements ${r.disagreements}, conflicting certificates ${r.conflictingCertificates}, ` +
        `winners disagreeing ${r.winnerDisagreements}, certificate agrees ${String(r.certificateAgrees)}, ` +
        `finalized ${r.liveFinalized} of ${r.live} live members`
      violations.push(what)
      console.error(`[soak] SAFETY/LIVENESS VIOLATION ${what}`)
    }
  }
  clearInterval(progress)
  const wallMs = performance.now() - started

  const cpuList = cpus()
  const meta: SoakMeta = {
    command: only !== undefined && only !== 'matrix'
      ? `npm run soak -- --cells ${only} --seeds ${only === 'ballots' ? ballotTotal : byzTotal} --workers ${workerCount}`
      : `npm run soak -- --seeds ${matrixTotal} --workers ${workerCount}${values.weights === '5:1,20:1,50:1' ? '' : ` --weights ${values.weights}`}` +
        (byzTotal === 2100 ? '' : ` --byzantine ${byzTotal}`) + (ballotTotal === 240 ? '' : ` --ballots ${ballotTotal}`) +
        (families.size === FAMILIES.length ? '' : ` --cells ${[...families].join(',')}`),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
    cpus: typeof availableParallelism === 'function' ? availableParallelism() : cpuList.length,
    node: process.version,
    workers: workerCount,
    wallMs,
    matrixWallMs: matrixWallMs === 0 ? wallMs : matrixWallMs,
    byzantine: byzTotal,
    seeds: matrixTotal,
    weights: Object.fromEntries([...new Set(plan.cells.map(c => c.agents))].map(n => [n, weights[n] ?? 1])),
    cycle: plan.cycle.length
  }
  const ballotLines = ballotTotal > 0 ? renderBallots(bal, meta.command) : []
  if (families.has('matrix')) {
    writeFileSync(outPath as string, renderReliability(agg, meta, corpus, [...(byzTotal > 0 ? renderByzantine(byz) : []), ...ballotLines]))
  } else {
    // without the matrix there is no page to regenerate: the sections go to stdout (and to --out if given)
    const lines = [...(byzTotal > 0 ? renderByzantine(byz) : []), ...ballotLines].join('\n')
    console.log(lines)
    if (outPath !== undefined) writeFileSync(outPath, lines + '\n')
  }
  if (values.raw !== undefined) writeFileSync(values.raw, JSON.stringify({ meta, weights, outcomes, byzantine: byzOutcomes, ballots: ballotOutcomes }))

  const t = agg.total
  console.log(`[soak] done: ${total} trials in ${clock(wallMs)} (CPU in matrix trials ${clock(t.wallMs)})${outPath === undefined ? '' : `; wrote ${outPath}`}`)
  if (matrixTotal > 0) {
    console.log(`[soak] disagreements ${t.disagreements}, conflicting certificates ${t.conflictingCertificates}, ` +
      `conflicting closes detected ${t.twoClosesDetected}/${t.twoClosesVerified}, finalized ${(100 * t.share(4)).toFixed(1)} % of live agents`)
  }
  const b = byz.total
  if (byzTotal > 0) {
    console.log(`[soak] Byzantine: ${b.trials} trials, disagreements ${b.disagreements}, conflicting certificates ${b.conflictingCertificates}, ` +
      `none final ${b.noneFinal}, not all final ${b.notAllFinal}, reached none ${b.unreached}`)
  }
  const c = bal.total
  if (ballotTotal > 0) {
    console.log(`[soak] ballots: ${c.trials} trials, disagreements ${c.disagreements}, conflicting certificates ${c.conflictingCertificates}, ` +
      `winners disagreeing ${c.winnerDisagreements}, certificate ≠ result ${c.certificateDisagrees}, none final ${c.noneFinal}, ` +
      `not all final ${c.notAllFinal}, reached none ${c.unreached}`)
  }
  if (violations.length > 0) {
    console.error(`[soak] ${violations.length} violation(s):\n${violations.join('\n')}`)
    process.exitCode = 1
  }
}
