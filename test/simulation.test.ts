import { describe, expect, it } from 'vitest'
import { InvalidParametersError } from '../src/index.js'
import { NoResultError, SimulatedSwarm } from '../src/testing/index.js'
import { runTrial } from '../scripts/soak/trial.js'
import { advanceUntil, startSwarm } from './helpers/swarm.js'

async function traceOf (seed: number): Promise<string> {
  const faults = { loss: 0.2, latencyMs: [0, 100] as [number, number], duplicate: 0.2, reorder: 0.2, reorderMs: 200 }
  const swarm = await SimulatedSwarm.create({ agents: 8, seed, ...faults, recordTrace: true })
  try {
    await swarm.request(0, { seed }, { timeoutMs: 1_000 })
    await swarm.settle()
  } finally {
    await swarm.stop()
  }
  return JSON.stringify(swarm.network.trace)
}

describe('deterministic simulation', () => {
  it('the same seed gives the same trace; another seed another', async () => {
    const a = await traceOf(42)
    expect(a.length).toBeGreaterThan(1_000)
    expect(await traceOf(42)).toBe(a)
    expect(await traceOf(43)).not.toBe(a)
  })

  it('a partition healed after the deadline still ends in one decision', async () => {
    const swarm = await startSwarm({ agents: 9, seed: 5, latencyMs: [1, 20] })
    const ids = swarm.agents.map(a => a.identity.peerId)
    swarm.network.partition([ids.slice(0, 4), ids.slice(4)])
    let proposed = false
    swarm.agent(1).manager.addEventListener('proposal', () => { proposed = true })
    const pending = swarm.request(0, { partitioned: true }, { timeoutMs: 1_000, participants: ids })
    await advanceUntil(swarm.clock, () => proposed, 5)
    await swarm.clock.advance(1_500)
    swarm.network.heal()
    await pending
    await swarm.settle()
    const decided = swarm.agents.map(a => [...a.decisions.values()][0]).filter(r => r !== undefined)
    expect(decided.length).toBeGreaterThan(0)
    expect(new Set(decided.map(r => r?.certificate?.id)).size).toBe(1)
  })

  it('a request without a result rejects with NoResultError saying why', async () => {
    const swarm = await startSwarm({ agents: 3, seed: 6, vote: () => undefined })
    const refused = swarm.request(0, {}, { timeoutMs: 1 })
    await expect(refused).rejects.toBeInstanceOf(NoResultError)
    await expect(refused).rejects.toMatchObject({
      message: expect.stringMatching(/request failed before a result \(InvalidParametersError/),
      cause: expect.any(InvalidParametersError)
    })
    // the requester crashes once its proposal is out: its request ends with AbortError
    swarm.agent(1).manager.addEventListener('proposal', () => { void swarm.crash(0) }, { once: true })
    await expect(swarm.request(0, { crash: true }, { timeoutMs: 10_000 })).rejects.toMatchObject({ name: 'NoResultError', cause: { name: 'AbortError' } })
  })

  it('survives a coordinator crash right after its close reached one peer', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const report = await runTrial({ seed, agents: 10, crash: 'after-close-reached-one', timeoutMs: 1_000 })
      expect(report.disagreements).toBe(0)
      expect(report.certificates).toBeLessThanOrEqual(1)
      expect(report.finalized).toBeGreaterThanOrEqual(9)
    }
  })
})
