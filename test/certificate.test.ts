import { beforeAll, describe, expect, it } from 'vitest'
import { decodeCertificate, encodeCertificate, verifyCertificate, type Certificate, type ConsensusResult } from '../src/index.js'
import { SimulatedSwarm } from '../src/testing/index.js'
import { encodeCanonical } from '../src/wire/codec.js'
import { openMessage, type OpenedClose, type OpenedProposal } from '../src/wire/envelope.js'
import { outcomeKey } from '../src/wire/outcome.js'
import { forgeAck } from './helpers/byzantine.js'
import type { Identity } from '../src/wire/identity.js'

// seven members of weight 1, every one up: round 0 decides on the fast path (every member's prevote)
let result: ConsensusResult
let certificate: Certificate
let ids: Identity[]
let proposal: OpenedProposal
let outcome: string

beforeAll(async () => {
  const swarm = await SimulatedSwarm.create({ agents: 7, seed: 21, vote: (i) => i === 6 ? 'against' : 'for' })
  try {
    result = await swarm.request(0, { release: '2.0' }, { timeoutMs: 2_000 })
    await swarm.settle()
  } finally {
    await swarm.stop()
  }
  certificate = result.certificate as Certificate
  ids = swarm.agents.map(a => a.identity)
  proposal = await openMessage(certificate.proposal) as OpenedProposal
  outcome = outcomeKey((await openMessage(certificate.close) as OpenedClose).body)
})

/** Precommits of `round` for the certificate's outcome by members `members` (they hold the keys: what honest members would sign after a polka). */
async function precommits (members: number[], round = 0, value = outcome): Promise<Uint8Array[]> {
  return Promise.all(members.map(async i => (await forgeAck(ids[i]!, proposal, round, 'precommit', value)).bytes))
}

describe('verifyCertificate', () => {
  it('recomputes the decision offline; its id is the outcome id, and every member\'s round-0 prevote decided it (the fast path)', async () => {
    const verified = await verifyCertificate(certificate)
    expect(verified.decision).toBe(result.decision)
    expect(verified.proposalId).toBe(result.proposalId)
    expect(verified.certificateId).toBe(certificate.id)
    expect(certificate.id).toBe(outcome)
    expect(Object.keys(verified.votes).sort()).toEqual(result.voters)
    expect([verified.path, verified.decidedRound, verified.closeRound]).toEqual(['fast', 0, 0])
    expect(verified.ackWeight).toBe(verified.totalWeight)
    const acks = await Promise.all(certificate.acks.map(async a => openMessage(a)))
    expect(acks).toHaveLength(7)
    for (const a of acks) expect(a.body.type === 'ack' && [a.body.round, a.body.phase]).toEqual([0, 'prevote'])
  })

  it('survives the canonical byte round trip', async () => {
    const bytes = encodeCertificate(certificate)
    const decoded = decodeCertificate(bytes)
    expect((await verifyCertificate(decoded)).certificateId).toBe(certificate.id)
  })

  it('round-0 prevotes of only some members are not final, even of more than 2/3 of the weight', async () => {
    for (const keep of [6, 5, 1]) {
      await expect(verifyCertificate({ ...certificate, acks: certificate.acks.slice(0, keep) }), `${keep} of 7 prevotes`)
        .rejects.toMatchObject({ reason: 'not-final' })
    }
  })

  it('precommits of more than 2/3 of the weight in one round decide the same outcome, with the same id', async () => {
    for (const round of [0, 1, 3]) {
      const verified = await verifyCertificate({ ...certificate, acks: await precommits([0, 1, 2, 3, 4], round) })
      expect([verified.path, verified.decidedRound, verified.certificateId, verified.decision]).toEqual(['precommit', round, outcome, result.decision])
      expect(verified.ackWeight).toBe(5)
    }
    // 4 of 7 is not more than 2/3
    await expect(verifyCertificate({ ...certificate, acks: await precommits([0, 1, 2, 3]) })).rejects.toMatchObject({ reason: 'not-final' })
  })

  it('acks of two rounds are not final: neither round has enough, or a deciding round carries one of another', async () => {
    const split = [...await precommits([0, 1, 2], 0), ...await precommits([3, 4, 5], 1)]
    await expect(verifyCertificate({ ...certificate, acks: split })).rejects.toMatchObject({ reason: 'not-final' })
    const extra = [...await precommits([0, 1, 2, 3, 4], 0), ...await precommits([5], 1)]
    await expect(verifyCertificate({ ...certificate, acks: extra })).rejects.toMatchObject({ reason: 'not-final' })
    const prevotesAndRound1 = [...certificate.acks, (await forgeAck(ids[6]!, proposal, 1, 'prevote', outcome)).bytes]
    await expect(verifyCertificate({ ...certificate, acks: prevotesAndRound1 })).rejects.toMatchObject({ reason: 'not-final' })
    // every member's prevote plus a precommit: still an ack that is not one of the deciding ones
    await expect(verifyCertificate({ ...certificate, acks: [...certificate.acks, ...await precommits([0])] })).rejects.toMatchObject({ reason: 'not-final' })
  })

  it('precommits of another outcome, or of nil-valued prevotes, do not decide this one', async () => {
    const other = 'ab'.repeat(32)
    await expect(verifyCertificate({ ...certificate, acks: await precommits([0, 1, 2, 3, 4, 5], 0, other) })).rejects.toMatchObject({ reason: 'not-final' })
    const nils = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(async i => (await forgeAck(ids[i]!, proposal, 0, 'prevote', null)).bytes))
    await expect(verifyCertificate({ ...certificate, acks: nils })).rejects.toMatchObject({ reason: 'not-final' })
  })

  it('one member\'s ack twice, or two different acks of one member for one round and phase, are refused by name', async () => {
    await expect(verifyCertificate({ ...certificate, acks: [...certificate.acks, certificate.acks[0]!] })).rejects.toMatchObject({ reason: 'ack-duplicate' })
    const acks = await Promise.all(certificate.acks.map(async a => openMessage(a)))
    const signer = ids.findIndex(id => acks[0]!.body.type === 'ack' && id.peerId === acks[0]!.body.signer)
    const conflicting = (await forgeAck(ids[signer]!, proposal, 0, 'prevote', null)).bytes
    await expect(verifyCertificate({ ...certificate, acks: [...certificate.acks, conflicting] })).rejects.toMatchObject({ reason: 'ack-conflict' })
  })

  it('fails when a counted vote is missing', async () => {
    await expect(verifyCertificate({ ...certificate, votes: certificate.votes.slice(1) })).rejects.toMatchObject({ reason: 'missing-votes' })
  })

  it('fails when any signed part is altered', async () => {
    const flip = (bytes: Uint8Array, at: number): Uint8Array => { const copy = new Uint8Array(bytes); copy[at] = (copy[at] as number) ^ 1; return copy }
    const invalid = { name: 'InvalidMessageError' }
    await expect(verifyCertificate({ ...certificate, close: flip(certificate.close, certificate.close.length - 3) })).rejects.toMatchObject(invalid)
    await expect(verifyCertificate({ ...certificate, proposal: flip(certificate.proposal, 40) })).rejects.toMatchObject(invalid)
    const votes = [flip(certificate.votes[0] as Uint8Array, 30), ...certificate.votes.slice(1)]
    await expect(verifyCertificate({ ...certificate, votes })).rejects.toMatchObject(invalid)
  })

  it('fails when parts are swapped or the id does not match', async () => {
    await expect(verifyCertificate({ ...certificate, close: certificate.proposal })).rejects.toMatchObject({ reason: 'malformed' })
    await expect(verifyCertificate({ ...certificate, id: 'f'.repeat(64) })).rejects.toMatchObject({ reason: 'wrong-id' })
  })

  it('decodeCertificate refuses bytes that are not a certificate', () => {
    expect(() => decodeCertificate(new Uint8Array([0xa0]))).toThrow(/certificate/)
    expect(() => decodeCertificate(new Uint8Array([0xff, 0x00]))).toThrow()
  })

  it('decodeCertificate refuses a v1 (or v3) certificate as wrong-version, naming the version', () => {
    const { proposal: p, close, votes, acks } = certificate
    for (const v of [1, 3]) {
      expect(() => decodeCertificate(encodeCanonical({ v, proposal: p, close, votes, acks })), `v${v}`)
        .toThrow(expect.objectContaining({ name: 'InvalidMessageError', reason: 'wrong-version', message: expect.stringContaining(`v${v}`) }))
    }
    expect(() => decodeCertificate(encodeCanonical({ v: 0, proposal: p, close, votes, acks }))).toThrow(expect.objectContaining({ reason: 'malformed' }))
  })
})
