import { describe, expect, it } from 'vitest'
import { runSeeds, summarize } from './helpers/sim-matrix.js'

// Seeds 0–499 of the 1,000-seed agreement check (the other half runs in a parallel file).
describe('seeded simulation, 20 agents, seeds 0–499', () => {
  it('no two agents that finalized hold different decisions or certificates', async () => {
    const reports = await runSeeds(0, 500)
    console.log(`seeds 0–499 (20 agents, loss 0/10/30 %, 20 % duplication and reordering, jitter ≤ 200 ms, skew ±500 ms)\n${summarize(reports)}`)
    expect(reports.filter(r => r.disagreements > 0).map(r => r.seed)).toEqual([])
    expect(reports.filter(r => r.certificates > 1).map(r => r.seed)).toEqual([])
    // liveness floor: without a crash every agent decides in nearly every seed
    const clean = reports.filter(r => r.crash === 'none')
    expect(clean.filter(r => r.finalized === r.agents).length / clean.length).toBeGreaterThan(0.95)
  }, 300_000)
})
