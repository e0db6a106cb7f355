/**
 * A slice of the exhaustive exploration (`npm run explore` runs the full bound): every Byzantine
 * strategy at every split, every schedule with at most one deviation — a later packet delivered
 * first, time let pass with packets in flight, one packet dropped or one duplicated, among the first
 * two in flight, in the first 30 steps — then fair delivery. Agreement and valid certificates on
 * every run; termination on every run.
 */
import { describe, expect, it } from 'vitest'
import { violationGroups, exploreJobs, jobs } from './explore/report.js'
import { runSchedule, type Bounds } from './explore/run.js'
import type { Violation } from './explore/explorer.js'

const SLICE: Bounds = { delays: 1, drops: 1, duplicates: 1, deviations: 1, window: 2, horizon: 30 }

describe('exhaustive exploration (slice)', () => {
  const violations: Violation[] = []
  let runs = 0

  it('explores every schedule of the slice, for every strategy at every split', async () => {
    const work = jobs()
    // the least a DFS must run: the default schedule, plus one run per alternative at each of its choice points
    let least = 0
    for (const { strategy, split } of work) {
      const first = await runSchedule(strategy, split, SLICE, [])
      least += 1 + first.points.reduce((n, p) => n + p.moves.length - 1, 0)
    }
    const byStrategy = await exploreJobs(work, SLICE)
    for (const figures of byStrategy.values()) {
      runs += figures.runs
      violations.push(...figures.violations)
      expect(figures.exhausted).toBe(true)
    }
    expect(byStrategy.size).toBe(new Set(work.map(j => j.strategy.name)).size)
    expect(runs).toBeGreaterThanOrEqual(least)
    console.log(`exploration slice: ${runs} runs (at least ${least}), ${violations.length} violation(s)`)
  }, 300_000)

  it('agreement: every member that decided decided the same, with the same certificate id, and every certificate verifies', () => {
    expect(runs).toBeGreaterThan(0)
    const unsafe = violations.filter(v => !v.violation.startsWith('termination'))
    expect(unsafe.length, violationGroups(unsafe)).toBe(0)
  })

  it('termination: with delivery fair after the prefix, every honest member decides before round 5 starts', () => {
    expect(runs).toBeGreaterThan(0)
    const stuck = violations.filter(v => v.violation.startsWith('termination'))
    expect(stuck.length, violationGroups(stuck)).toBe(0)
  })
})
