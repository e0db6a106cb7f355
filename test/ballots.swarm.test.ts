/**
 * Snapshot's six voting examples decided by a whole simulated swarm through the real API: one agent
 * per distinct ballot (its weight = how many voters cast it; quadratic, whose score is not linear in
 * weight, gets one agent per voter), the ballots signed, gossiped, counted, closed and certified like
 * any vote. Every peer must report Snapshot's scores, the same winner and the same certificate, and
 * the certificate must verify offline. Invalid ballots in the examples never count. Without the vectors
 * folder (../shared/vectors) this file skips.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ballotProblem, verifyCertificate, type Ballot, type VotingType } from '../src/index.js'
import { SimulatedSwarm } from '../src/testing/index.js'
import { readRctabRankings } from './helpers/rctab.js'

const VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'vectors', 'snapshot')
const present = existsSync(VECTORS)

interface Example { proposal: { choices: string[] }, scores: number[], votes: Array<{ choice: unknown, balance: number }> }
const read = (file: string): any => JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8'))

const CASES: Array<{ type: VotingType, file: string, linear: boolean }> = [
  { type: 'single-choice', file: 'singleChoice.json', linear: true },
  { type: 'approval', file: 'approval.json', linear: true },
  { type: 'ranked-choice', file: 'rankedChoice.json', linear: true },
  { type: 'weighted', file: 'weighted.json', linear: true },
  { type: 'copeland', file: 'copeland.json', linear: true },
  { type: 'quadratic', file: 'quadratic.json', linear: false }
]

/** Snapshot's expected scores: its example file's, but copeland's own field is stale (see the vectors README). */
function expectedScores (type: VotingType, example: Example): number[] {
  return type === 'copeland' ? read('inline-cases.json').copeland_expected.getScores : example.scores
}

describe.skipIf(!present)(`Snapshot's examples decided by a swarm${present ? '' : ` (skipped: no vectors at ${VECTORS})`}`, () => {
  it.each(CASES)('$type: every peer reports Snapshot\'s scores, one winner and one verifying certificate', async ({ type, file, linear }) => {
    const example = read(file) as Example
    const n = example.proposal.choices.length
    // one voter per distinct ballot, weighted by its count, where scores are linear in weight
    const groups = new Map<string, { ballot: unknown, weight: number }>()
    example.votes.forEach((vote, i) => {
      const key = linear ? JSON.stringify(vote.choice) : String(i)
      const group = groups.get(key)
      if (group === undefined) groups.set(key, { ballot: vote.choice, weight: vote.balance })
      else group.weight += vote.balance
    })
    const voters = [...groups.values()]
    const invalid = voters.filter(v => ballotProblem(type, v.ballot, n) !== undefined).length
    const swarm = await SimulatedSwarm.create({
      agents: voters.length,
      seed: 1,
      vote: (index) => voters[index]?.ballot as Ballot
    })
    try {
      const ids = swarm.agents.map(a => a.identity.peerId)
      const result = await swarm.request(0, { vector: file }, {
        choices: example.proposal.choices,
        votingType: type,
        participants: ids,
        weights: Object.fromEntries(ids.map((id, i) => [id, voters[i]?.weight as number])),
        timeoutMs: 5_000
      })
      await swarm.settle(60_000)
      const expected = expectedScores(type, example)
      const top = expected.indexOf(Math.max(...expected)) + 1
      expect(result.decision).toBe('approved')
      expect(result.winner).toBe(top)
      // the voters whose ballots Snapshot's isValidChoice refuses are never counted
      expect(result.voters).toHaveLength(voters.length - invalid)
      for (const agent of swarm.agents) {
        const mine = agent.decisions.get(result.proposalId)
        expect(mine?.certificate?.id, `agent ${agent.index}`).toBe(result.certificate?.id)
        expect(mine?.winner).toBe(top)
        mine?.scores?.forEach((s, i) => {
          // exact for integer sums; weighted, quadratic and copeland floats differ from Snapshot's in summation order only
          if (type === 'single-choice' || type === 'approval' || type === 'ranked-choice') expect(s).toBe(expected[i])
          else expect(Math.abs(s - (expected[i] as number))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i] as number)))
        })
      }
      const verified = await verifyCertificate(result.certificate!)
      expect(verified.winner).toBe(top)
      expect(verified.choices).toEqual(example.proposal.choices)
    } finally {
      await swarm.stop()
    }
  }, 120_000)
})

const RCTAB = path.resolve(VECTORS, '..', 'rctab', 'generic_csv_test')

describe.skipIf(!existsSync(RCTAB))(`RCTab's instant-runoff case decided by a swarm${existsSync(RCTAB) ? '' : ` (skipped: no vectors at ${RCTAB})`}`, () => {
  it('26 voters, one agent each: every peer reports RCTab\'s rounds 2–4 and its winner, with one certificate', async () => {
    const { candidates, rankings } = readRctabRankings(RCTAB)
    const report = JSON.parse(readFileSync(path.join(RCTAB, 'generic_csv_test_expected_detailed_report.json'), 'utf8')) as {
      results: Array<{ round: number, tally: Record<string, string>, tallyResults: Array<{ elected?: string }> }>
    }
    const expected = report.results.filter(r => r.round >= 2).map(r => candidates.map(c => Number(r.tally[c] ?? 0)))
    const elected = candidates.indexOf(report.results.at(-1)?.tallyResults[0]?.elected as string) + 1
    const swarm = await SimulatedSwarm.create({ agents: rankings.length, seed: 3, vote: (index) => rankings[index] })
    try {
      const ids = swarm.agents.map(a => a.identity.peerId)
      const result = await swarm.request(0, { contest: 'Generic CSV Test' }, {
        choices: candidates, votingType: 'ranked-choice', participants: ids, timeoutMs: 3_000
      })
      await swarm.settle(60_000)
      expect(result.winner).toBe(elected)
      for (const agent of swarm.agents) {
        const mine = agent.decisions.get(result.proposalId)
        expect(mine?.certificate?.id, `agent ${agent.index}`).toBe(result.certificate?.id)
        expect(mine?.metadata.irvRounds).toEqual(expected)
      }
    } finally {
      await swarm.stop()
    }
  }, 120_000)
})

describe('a certificate of a ballot', () => {
  it('counting a ballot that does not fit its proposal does not verify (bad-ballot)', async () => {
    const swarm = await SimulatedSwarm.create({ agents: 3, seed: 2, vote: (index) => index + 1 })
    try {
      const ids = swarm.agents.map(a => a.identity.peerId)
      const result = await swarm.request(0, { lunch: true }, {
        choices: ['pizza', 'sushi', 'tacos'], participants: ids, allowVoteChange: false, timeoutMs: 2_000
      })
      expect(result.winner).toBe(1)
      await expect(verifyCertificate(result.certificate!)).resolves.toMatchObject({ winner: 1 })
      // the same voter's signed ballot for a fourth choice the proposal does not have
      const { sealMessage } = await import('../src/wire/envelope.js')
      const { PROTOCOL_VERSION } = await import('../src/wire/messages.js')
      const { idFromString } = await import('../src/wire/ids.js')
      const forged = await sealMessage(swarm.agent(1).identity, {
        type: 'vote', v: PROTOCOL_VERSION, ns: 'default', proposal: idFromString(result.proposalId), voter: ids[1] as string, seq: 0, choice: 4, metadata: {}
      })
      const certificate = { ...result.certificate!, votes: [forged.bytes, ...result.certificate!.votes] }
      await expect(verifyCertificate(certificate)).rejects.toMatchObject({ reason: 'bad-ballot' })
    } finally {
      await swarm.stop()
    }
  })
})
