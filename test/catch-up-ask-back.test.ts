/**
 * A peer cut off while the others decide, whose own catch-up requests are all lost when the partition
 * heals (found by the soak: seed 2606, two lost to 10 % loss and the third sent to a coordinator that
 * crashed). The others' catch-up requests reach it and list the decision they hold: it asks them back
 * and decides the same, with the same certificate. Without the ask-back it never hears of the proposal.
 */
import { describe, expect, it } from 'vitest'
import { decodeMessage } from '../src/wire/index.js'
import { CATCH_UP_PROPOSAL_ID } from '../src/wire/catch-up.js'
import { idToString } from '../src/wire/ids.js'
import { startSwarm } from './helpers/swarm.js'

describe('catch-up after a partition', () => {
  it('a cut-off peer whose own catch-up requests are lost asks back the peers that list a decision it lacks', async () => {
    const swarm = await startSwarm({ agents: 6, seed: 11, latencyMs: [5, 20] })
    const ids = swarm.agents.map(a => a.identity.peerId)
    const away = ids[5] as string
    swarm.network.partition([ids.slice(0, 5), [away]])
    const result = await swarm.request(0, { action: 'deploy' }, { timeoutMs: 1_000, participants: ids.slice(0, 5) })
    expect(result.decision).toBe('approved')
    await swarm.clock.advance(200)
    expect(swarm.agent(5).decisions.size).toBe(0)

    // every catch-up request the cut-off peer sends as the partition heals is lost
    let lost = 0
    let askedBack = 0
    const healedAt = swarm.clock.now()
    swarm.network.filter = (from, _to, message) => {
      if (from !== away) return true
      const { opened } = decodeMessage(message)
      if (opened.body.type !== 'want' || idToString(opened.body.proposal) !== CATCH_UP_PROPOSAL_ID) return true
      if (swarm.clock.now() === healedAt) { lost++; return false }
      askedBack++
      return true
    }
    await swarm.heal()
    await swarm.settle()

    expect(lost).toBeGreaterThan(0)
    expect(askedBack).toBeGreaterThan(0)
    // of the five peers that list the decision, at most three are asked for it
    expect(askedBack).toBeLessThanOrEqual(3)
    const late = [...swarm.agent(5).decisions.values()][0]
    expect(late?.decision).toBe('approved')
    expect(late?.certificate?.id).toBe(result.certificate?.id)
    await swarm.stop()
  })
})
