/** Corpus scenarios on the bytes themselves: fields the schema forbids, size limits, non-canonical CBOR. */
import { encodeCanonical } from '../../../src/wire/codec.js'
import { sealMessage, type OpenedVote } from '../../../src/wire/envelope.js'
import { signBody, type Identity } from '../../../src/wire/identity.js'
import type { ProposalBody } from '../../../src/wire/messages.js'
import { cat, cbor, entriesOf, withValue, type Bytes } from '../cbor.js'
import { ADV, HONEST, bodyOf, makeSwarm, outsiders, propose, sealVote, sigOf, voteBody, wrap, type Open } from './harness.js'
import { accept, honestApproval, reject, type Scenario } from './scenario.js'

/** A vote with an extra `weight` field, correctly signed. */
export async function selfWeightScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'weight' })
  const adv = h.ids[ADV]!
  const inputs: Bytes[] = []
  for (const weight of [100, 0, 2 ** 32, '1000', [1000]]) {
    const bodyBytes = encodeCanonical({ ...voteBody(open, adv, 'for'), weight })
    inputs.push(wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)))
  }
  return {
    name: 'self-declared weight',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'self-weight',
      title: 'self-declared weight',
      description: 'The adversary\'s correctly signed vote with an extra `weight` field (100, 0, 2³², "1000", [1000]); weights are pinned by the proposal.',
      inputs,
      expected: reject('malformed'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** Messages one byte over their size limit, and exactly at it. */
export async function oversizeScenario (): Promise<Scenario & { open: Open, strangers: Identity[] }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'size' })
  const limit = 16 * 1024
  const strangers = await outsiders(5)
  const adv = h.ids[ADV]!
  const ofSize = async (who: Identity, size: number): Promise<Bytes> => {
    const base = (await sealVote(open, who, 'for', { metadata: { pad: '' } })).bytes.byteLength
    for (let pad = size - base - 8; pad <= size - base; pad++) {
      const s = await sealVote(open, who, 'for', { metadata: { pad: 'x'.repeat(pad) } })
      if (s.bytes.byteLength === size) return s.bytes
    }
    throw new Error(`no vote of ${size} bytes`)
  }
  // a proposal at the general limit (512 KiB) passes the size check; one byte more is oversize
  const proposalOfSize = async (size: number): Promise<Bytes> => {
    const make = (pad: number): ProposalBody => ({
      ...open.body,
      ns: 'other',
      coordinator: adv.peerId,
      closers: [adv.peerId],
      payload: { pad: 'p'.repeat(pad) }
    })
    const base = (await sealMessage(adv, make(0))).bytes.byteLength
    for (let pad = size - base - 12; pad <= size - base; pad++) {
      const s = await sealMessage(adv, make(pad))
      if (s.bytes.byteLength === size) return s.bytes
    }
    throw new Error(`no proposal of ${size} bytes`)
  }
  const over = await Promise.all([adv, ...strangers].map(async who => ofSize(who, limit + 1)))
  const at = await Promise.all(strangers.map(async who => ofSize(who, limit)))
  return {
    name: 'size limits',
    h,
    honest: HONEST,
    open,
    strangers,
    classes: [{
      name: 'oversize',
      title: 'oversize by one byte',
      description: 'Validly signed votes of 16 KiB + 1 byte (the adversary\'s and five outsiders\'), and a proposal of 512 KiB + 1 byte.',
      inputs: [...over, await proposalOfSize(512 * 1024 + 1)],
      labels: [...over.map((_, k) => `vote ${k}`), 'proposal'],
      expected: reject('oversize'),
      role: 'attack'
    }, {
      name: 'at-limit-non-member',
      title: 'at the limit: outsiders\' votes',
      description: 'Outsiders\' votes of exactly 16 KiB pass the size check and fail membership.',
      inputs: at,
      expected: reject('non-member'),
      role: 'control'
    }, {
      name: 'at-limit-proposal',
      title: 'at the limit: a proposal of another namespace',
      description: 'A proposal of exactly 512 KiB (namespace "other") passes the size check and fails the namespace.',
      inputs: [await proposalOfSize(512 * 1024)],
      expected: reject('wrong-namespace'),
      role: 'control',
      targets: [1]
    }, {
      name: 'at-limit-member',
      title: 'at the limit: a member\'s vote',
      description: 'The adversary\'s vote of exactly 16 KiB is counted.',
      inputs: [await ofSize(adv, limit)],
      expected: accept('counted'),
      role: 'control'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for']] }],
      expected: { decision: 'approved', voters: [0, 1, ADV], votesFor: 3, votesAgainst: 0 }
    }]
  }
}

/** Correctly signed bodies and envelopes that are not canonical CBOR. */
export async function nonCanonicalScenario (): Promise<Scenario & { open: Open, valid: OpenedVote }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'cbor' })
  const adv = h.ids[ADV]!
  const e = entriesOf(voteBody(open, adv, 'for'))
  const bodies: Array<[string, Bytes, string]> = [
    ['keys unsorted', cbor.map([e[1]!, e[0]!, ...e.slice(2)]), 'non-canonical'],
    ['keys reversed', cbor.map([...e].reverse()), 'non-canonical'],
    ['v as float16 2.0', cbor.map(withValue(e, 'v', cbor.f16(0x4000))), 'non-canonical'],
    ['v as float64 2.0', cbor.map(withValue(e, 'v', cbor.f64(2))), 'non-canonical'],
    ['metadata float64 where float16 suffices', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), cbor.f64(0.5)]]))), 'non-canonical'],
    ['v as 0x1802', cbor.map(withValue(e, 'v', new Uint8Array([0x18, 0x02]))), 'malformed'],
    ['metadata NaN', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), cbor.f16(0x7e00)]]))), 'malformed'],
    ['metadata Infinity', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), cbor.f64(Infinity)]]))), 'malformed'],
    ['duplicate key', cbor.map([...e, [cbor.text('v'), new Uint8Array([0x02])]]), 'malformed'],
    ['trailing byte', cat(cbor.map(e), [0x00]), 'malformed'],
    ['indefinite map', cbor.indefMap(e), 'malformed'],
    ['indefinite text', cbor.map(withValue(e, 'ns', cbor.indefText(['def', 'ault']))), 'malformed'],
    ['tag around the proposal hash', cbor.map(withValue(e, 'proposal', cbor.tag(42, cbor.bytes(open.id)))), 'malformed'],
    ['undefined in metadata', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), cbor.undef()]]))), 'malformed'],
    ['ns length in long form', cbor.map(withValue(e, 'ns', cbor.text('default', 1))), 'malformed']
  ]
  const signed: Array<[string, Bytes, string]> = []
  for (const [name, bodyBytes, reason] of bodies) signed.push([`body: ${name}`, wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)), reason])
  const valid = await sealVote(open, adv, 'for', { metadata: { round: 2 } })
  const vb = bodyOf(valid.bytes)
  const vs = sigOf(valid.bytes)
  const envelopes: Array<[string, Bytes, string]> = [
    ['array length long form', cbor.array([cbor.bytes(vb), cbor.bytes(vs)], 1), 'malformed'],
    ['body length long form', cbor.array([cbor.bytes(vb, 4), cbor.bytes(vs)]), 'malformed'],
    ['indefinite envelope', cbor.indefArray([cbor.bytes(vb), cbor.bytes(vs)]), 'malformed'],
    ['tagged envelope', cbor.tag(24, cbor.array([cbor.bytes(vb), cbor.bytes(vs)])), 'malformed'],
    ['trailing byte', cat(valid.bytes, [0x00]), 'malformed'],
    ['third element 1.0 as float', cbor.array([cbor.bytes(vb), cbor.bytes(vs), cbor.f16(0x3c00)]), 'non-canonical'],
    ['map envelope, keys unsorted', cbor.map([[cbor.text('s'), cbor.bytes(vs)], [cbor.text('b'), cbor.bytes(vb)]]), 'non-canonical']
  ]
  const all = [...signed, ...envelopes.map(([name, bytes, reason]) => [`envelope: ${name}`, bytes, reason] as [string, Bytes, string])]
  const of = (reason: string): Array<[string, Bytes, string]> => all.filter(x => x[2] === reason)
  return {
    name: 'non-canonical CBOR',
    h,
    honest: HONEST,
    open,
    valid,
    classes: [{
      name: 'non-canonical',
      title: 'non-canonical CBOR (re-encodes differently)',
      description: 'Correctly signed vote bodies, or envelopes, that decode strictly but are not the canonical encoding: ' +
        'unsorted keys, a float where an integer belongs, a float wider than needed, a map envelope.',
      inputs: of('non-canonical').map(x => x[1]),
      labels: of('non-canonical').map(x => x[0]),
      expected: reject('non-canonical'),
      role: 'attack'
    }, {
      name: 'malformed-cbor',
      title: 'non-canonical CBOR (strict decoder refuses)',
      description: 'Correctly signed vote bodies, or envelopes, the strict decoder refuses: long-form integers and lengths, ' +
        'NaN, Infinity, undefined, duplicate keys, trailing bytes, indefinite lengths, tags.',
      inputs: of('malformed').map(x => x[1]),
      labels: of('malformed').map(x => x[0]),
      expected: reject('malformed'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}
