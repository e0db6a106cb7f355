import { beforeAll, describe, expect, it } from 'vitest'
import { decodeCertificate, encodeCertificate, verifyCertificate, type Certificate, type ConsensusResult } from '../src/index.js'
import { SimulatedSwarm } from '../src/testing/index.js'

let result: ConsensusResult
let certificate: Certificate

beforeAll(async () => {
  const swarm = await SimulatedSwarm.create({ agents: 7, seed: 21, vote: (i) => i === 6 ? 'against' : 'for' })
  try {
    result = await swarm.request(0, { release: '2.0' }, { timeoutMs: 2_000 })
    await swarm.settle()
  } finally {
    await swarm.stop()
  }
  certificate = result.certificate as Certificate
})

describe('verifyCertificate', () => {
  it('recomputes the decision offline and names the closer, votes and acked weight', async () => {
    const verified = await verifyCertificate(certificate)
    expect(verified.decision).toBe(result.decision)
    expect(verified.proposalId).toBe(result.proposalId)
    expect(verified.certificateId).toBe(certificate.id)
    expect(Object.keys(verified.votes).sort()).toEqual(result.voters)
    expect(verified.ackWeight * 3).toBeGreaterThan(verified.totalWeight * 2)
  })

  it('survives the canonical byte round trip', async () => {
    const bytes = encodeCertificate(certificate)
    const decoded = decodeCertificate(bytes)
    expect((await verifyCertificate(decoded)).certificateId).toBe(certificate.id)
  })

  it('fails without enough acks', async () => {
    const needed = Math.floor(2 * 7 / 3) // 4 acks of weight 1 are not more than 2/3 of 7
    await expect(verifyCertificate({ ...certificate, acks: certificate.acks.slice(0, needed) })).rejects.toMatchObject({ reason: 'not-final' })
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
})
