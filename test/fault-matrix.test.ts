import { beforeAll, describe, expect, it } from 'vitest'
import { ciSlice, FACTORS, matrixCells, trialOptions, uncoveredPairs } from '../scripts/soak/matrix.js'
import { TrialStats } from '../scripts/soak/reliability.js'
import { HORIZONS, runTrial, type TrialReport } from '../scripts/soak/trial.js'
import { byzantineCells, byzantineTrial, runByzantineTrial, type ByzantineReport } from '../scripts/soak/byzantine.js'

// The CI slice of the fault matrix (the full matrix runs in `npm run soak`, see docs/RELIABILITY.md):
// every crash point × every partition × skew ±500 ms and ±5 s, at N = 5 and N = 20, loss, jitter and
// timeout rotated across those cells, 2 seeds each; plus four N = 50 cells, 1 seed each — 204
// seeded trials in virtual time; and two seeds of every Byzantine cell (scripts/soak/byzantine.ts).

const END = HORIZONS.length // index of "by the end of the trial" in TrialStats.share

describe('fault matrix design', () => {
  it('covers every pair of factor levels, and crash × partition fully at N = 20', () => {
    const cells = matrixCells()
    expect(uncoveredPairs(cells)).toEqual([])
    for (const crash of FACTORS.crash) {
      for (const partition of FACTORS.partition) {
        expect(cells.some(c => c.agents === 20 && c.crash === crash && c.partition === partition)).toBe(true)
      }
    }
    expect(new Set(cells.map(c => c.id)).size).toBe(cells.length)
  })
})

describe('fault matrix, CI slice', () => {
  const reports: Array<{ report: TrialReport, crash: string, partition: string, skewMs: number, agents: number }> = []
  const stats = (pick: (r: typeof reports[number]) => boolean = () => true): TrialStats => {
    const s = new TrialStats()
    for (const r of reports) if (pick(r)) s.add(r.report)
    return s
  }

  beforeAll(async () => {
    for (const { cell, seeds } of ciSlice(2)) {
      for (const seed of seeds) reports.push({ report: await runTrial(trialOptions(cell, seed)), ...cell })
    }
  }, 180_000)

  it('runs every crash point × partition × skew at N = 5 and 20, and some N = 50', () => {
    expect(reports.length).toBe(204)
    for (const agents of [5, 20]) {
      for (const crash of FACTORS.crash) {
        for (const partition of FACTORS.partition) {
          for (const skewMs of [500, 5_000]) {
            expect(reports.filter(r => r.agents === agents && r.crash === crash && r.partition === partition && r.skewMs === skewMs).length).toBe(2)
          }
        }
      }
    }
    expect(reports.filter(r => r.agents === 50).length).toBe(4)
  })

  it('safety: no disagreement and no conflicting certificates among finalized peers', () => {
    expect(reports.filter(r => r.report.disagreements > 0).map(r => r.report.seed)).toEqual([])
    expect(reports.filter(r => r.report.conflictingCertificates > 0).map(r => r.report.seed)).toEqual([])
  })

  it('detection: honest closers never sign two closes of one round, and any peer that verified such a pair raised evidence', () => {
    const s = stats()
    expect(reports.filter(r => r.report.twoClosesDetected < r.report.twoClosesVerified).map(r => r.report.seed)).toEqual([])
    // honest closers only: two closes of different rounds are normal (a later round after a crash or split)...
    expect(s.multiCloseTrials).toBeGreaterThan(20)
    // ...but one closer never signs two outcomes for one round (the Byzantine slice below does)
    expect(s.twoClosesVerified).toBe(0)
  })

  it('liveness: in every trial the proposal reached, every live agent finalized (faults heal; > 2/3 honest, running, connected)', () => {
    // Measured on this slice: every trial where the proposal reached a live agent ended with every
    // live agent final; the trials none final are those whose coordinator died before its proposal
    // reached anyone. Most decisions come in round 1 or later here: every cell has a fault.
    expect(reports.filter(r => r.report.liveReached > 0 && r.report.liveFinalized < r.report.live).map(r => r.report.seed)).toEqual([])
    const all = stats()
    expect(all.noneFinalized).toBe(all.unreachedTrials)
    expect(all.trials - all.noneFinalized).toBeGreaterThan(180)
    // finality is monotone in the horizon, and most live agents decide within 8Δ of the deadline
    for (let i = 1; i <= END; i++) expect(all.share(i)).toBeGreaterThanOrEqual(all.share(i - 1))
    expect(all.share(HORIZONS.indexOf(8))).toBeGreaterThan(0.75)
  })
})

describe('Byzantine cells, CI slice', () => {
  const reports: ByzantineReport[] = []
  const cells = byzantineCells()

  beforeAll(async () => {
    // two seeds of every cell (the full 2,100 run in `npm run soak`)
    for (let seed = 0; seed < 2 * cells.length; seed++) reports.push(await runByzantineTrial(byzantineTrial(seed, cells)))
  }, 180_000)

  it('runs every cell, and each staged its fault', () => {
    expect(new Set(reports.map(r => r.cellId))).toEqual(new Set(cells.map(c => c.id)))
    expect(reports.filter(r => !r.staged).map(r => r.seed)).toEqual([])
  })

  it('safety: no two honest members decide differently or hold different certificates', () => {
    expect(reports.filter(r => r.disagreements > 0 || r.conflictingCertificates > 0).map(r => r.seed)).toEqual([])
  })

  it('liveness: every honest, running member the proposal reached decides', () => {
    expect(reports.filter(r => r.liveReached === 0).map(r => r.seed)).toEqual([])
    expect(reports.filter(r => r.liveFinalized < r.live).map(r => `${r.cellId}#${r.seed}`)).toEqual([])
  })

  it('an equivocating coordinator is caught: honest members raise conflicting-close evidence', () => {
    const eq = reports.filter(r => r.cellId.startsWith('EQ'))
    expect(eq.length).toBeGreaterThan(0)
    expect(eq.reduce((n, r) => n + r.closeEvidence, 0)).toBeGreaterThan(0)
  })
})
