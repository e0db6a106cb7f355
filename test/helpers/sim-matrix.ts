import { runTrial, type CoordinatorCrash, type TrialOptions, type TrialReport } from '../../scripts/soak/trial.js'

export const CRASHES: CoordinatorCrash[] = ['none', 'before-spread', 'mid-vote', 'at-deadline', 'after-close-reached-one']
const LOSSES = [0, 0.1, 0.3]
const ALGORITHMS = ['quorum', 'weighted', 'unanimous', 'supermajority']

/** The faults seed `seed` runs with: every crash point, loss level, algorithm and skew get their share of seeds. */
export function trialFor (seed: number, agents = 20): TrialOptions {
  return {
    seed,
    agents,
    crash: CRASHES[seed % CRASHES.length],
    loss: LOSSES[Math.floor(seed / CRASHES.length) % LOSSES.length],
    algorithm: ALGORITHMS[Math.floor(seed / 15) % ALGORITHMS.length],
    skewMs: Math.floor(seed / 60) % 2 === 0 ? 0 : 500,
    latencyMs: [0, 200],
    duplicate: 0.2,
    reorder: 0.2,
    reorderMs: 500,
    timeoutMs: 2_000
  }
}

/** Run seeds [from, to) and return their reports. */
export async function runSeeds (from: number, to: number, agents = 20): Promise<TrialReport[]> {
  const reports: TrialReport[] = []
  for (let seed = from; seed < to; seed++) reports.push(await runTrial(trialFor(seed, agents)))
  return reports
}

/** Per crash point: seeds, agents finalized share, disagreements, conflicting-close evidence and its detection rate. */
export function summarize (reports: TrialReport[]): string {
  const rows = CRASHES.map(crash => {
    const rs = reports.filter(r => r.crash === crash)
    const finalized = rs.reduce((n, r) => n + r.finalized, 0)
    const agents = rs.reduce((n, r) => n + r.agents, 0)
    const dis = rs.reduce((n, r) => n + r.disagreements, 0)
    const conflicts = rs.reduce((n, r) => n + r.conflictingCloses, 0)
    const verified = rs.reduce((n, r) => n + r.twoClosesVerified, 0)
    const detected = rs.reduce((n, r) => n + r.twoClosesDetected, 0)
    return `${crash.padEnd(24)} seeds ${String(rs.length).padStart(4)}  finalized ${(100 * finalized / Math.max(1, agents)).toFixed(1).padStart(5)}%  ` +
      `disagreements ${dis}  conflicting-close evidence ${conflicts} (peers with two valid closes: ${detected}/${verified} detected)`
  })
  return rows.join('\n')
}
