/**
 * The adversarial corpus and decoder fuzz: `npm run corpus`.
 *
 * 1. Runs every class of the adversarial corpus (test/helpers/adversarial-corpus.ts over test/helpers/corpus/: forged,
 *    replayed, malformed and dishonest messages, each fed to every honest agent of a live simulated
 *    swarm) and checks each class: every input got the verdict docs/PROTOCOL.md prescribes, none was
 *    counted, and the honest decision afterwards stands with a certificate that verifies.
 * 2. Fuzzes every decoder with seeded random inputs: random byte strings, random envelope-shaped
 *    CBOR, and random mutations of valid envelopes (proposal, vote, close, ack, want) through
 *    `handleMessage` of a live agent, `openMessage` and `decodeCanonical`; random and mutated
 *    certificates through `decodeCertificate` + `verifyCertificate`. Counts rejected / ignored /
 *    accepted / threw.
 * 3. Prints a table and writes docs/adversarial-corpus.md (generated: never edit it by hand;
 *    `npm run soak` copies it into docs/RELIABILITY.md).
 *
 *   npx tsx scripts/corpus.ts                    # default: --fuzz 10000 --seed 1 (about 30 s)
 *   npx tsx scripts/corpus.ts --fuzz 1000        # a quick look
 *   npx tsx scripts/corpus.ts --out /tmp/c.md    # write elsewhere
 *
 * Exit code 1 if any class has an input that did not get its verdict, or was counted, or a decision
 * changed or its certificate failed; or if any fuzz input made a decoder throw (anything but a typed
 * rejection) or was accepted where it must not be.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CERTIFICATE_VERSION, decodeCertificate, encodeCertificate, verifyCertificate } from '../src/core/certificate.js'
import { InvalidMessageError } from '../src/errors.js'
import { SeededRandom } from '../src/testing/random.js'
import { SimulatedSwarm } from '../src/testing/swarm.js'
import { decodeCanonical, encodeCanonical } from '../src/wire/codec.js'
import { openMessage, sealWant } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { runCorpus, type ClassReport, type CorpusReport } from '../test/helpers/adversarial-corpus.js'
import { ADV, MALLORY, finish, makeSwarm, propose, sealAck, sealClose, sealVote, type Bytes } from '../test/helpers/corpus/harness.js'
import type { Verdict } from '../src/transport/coordinator.js'

const { values } = parseArgs({
  options: {
    fuzz: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: fileURLToPath(new URL('../docs/adversarial-corpus.md', import.meta.url)) }
  }
})
const FUZZ = Number(values.fuzz)
const SEED = Number(values.seed)
if (!Number.isInteger(FUZZ) || FUZZ < 1) throw new Error(`--fuzz must be a positive integer, got ${values.fuzz}`)
if (!Number.isInteger(SEED)) throw new Error(`--seed must be an integer, got ${values.seed}`)
const OUT = values.out as string
const PROTOCOL = fileURLToPath(new URL('../docs/PROTOCOL.md', import.meta.url))

const started = performance.now()
const log = (line: string): void => { console.log(`[corpus] ${line}`) }
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`
const failures: string[] = []

// ---------------------------------------------------------------------------------------------
// 1. the corpus
// ---------------------------------------------------------------------------------------------

log('running the adversarial corpus (every class to every honest agent, then the honest votes decide)')
const corpus = await runCorpus({ onProgress: line => { log(`  ${line}  (${elapsed()})`) } })

const answered = (c: ClassReport): string => c.expected.result === 'reject'
  ? 'rejected'
  : c.expected.result === 'ignore' ? 'ignored' : c.expected.reason === 'equivocation' ? 'accepted as evidence' : 'accepted'
const standsOf = (r: CorpusReport, scenario: string): boolean => r.scenarios.find(s => s.name === scenario)
  ?.conclusions.every(c => c.problems.length === 0 && c.unchanged && c.certificateVerifies && c.stable) === true
const attacks = corpus.classes.filter(c => c.role === 'attack')
const controls = corpus.classes.filter(c => c.role === 'control')

for (const c of corpus.classes) {
  const where = `${c.scenario} / ${c.title}`
  if (c.inputsAsExpected !== c.inputs || c.deliveriesAsExpected !== c.deliveries) {
    failures.push(`${c.role} class "${where}": ${c.inputsAsExpected} of ${c.inputs} inputs ${answered(c)} ` +
      `(${c.expected.result} ${c.expected.reason}) on every honest agent; ${c.problems.join('; ')}`)
  }
  if (c.role === 'attack' && c.counted > 0) {
    failures.push(`class "${where}": ${c.counted} input(s) COUNTED ` +
      '(a vote event, a certificate\'s counted vote or ack, or a close whose outcome was acked or certified)')
  }
}
for (const s of corpus.scenarios) {
  for (const c of s.conclusions) {
    if (c.problems.length > 0 || !c.unchanged || !c.certificateVerifies || !c.stable) {
      failures.push(`scenario "${s.name}", ${c.label}: the honest decision did not stand: ${c.problems.join('; ')}`)
    }
  }
}
const equivocation = attacks.find(c => c.name === 'equivocation')
if (equivocation !== undefined && equivocation.evidence !== equivocation.deliveries) {
  failures.push(`equivocation: ${equivocation.evidence} evidence events for ${equivocation.deliveries} deliveries (expected one each time)`)
}

const pad = (s: string, n: number): string => s.length >= n ? s : s + ' '.repeat(n - s.length)
const lpad = (s: string, n: number): string => s.length >= n ? s : ' '.repeat(n - s.length) + s
console.log('')
console.log(`${pad('class', 46)} ${lpad('inputs', 6)} ${lpad('deliv.', 6)}  ${pad('verdict', 28)} ${pad('answered so', 30)} ${lpad('counted', 7)}  decision`)
for (const c of attacks) {
  console.log(`${pad(c.title, 46)} ${lpad(String(c.inputs), 6)} ${lpad(String(c.deliveries), 6)}  ` +
    `${pad(`${c.expected.result} ${c.expected.reason}`, 28)} ${pad(`${c.inputsAsExpected}/${c.inputs} ${answered(c)}`, 30)} ` +
    `${lpad(String(c.counted), 7)}  ${standsOf(corpus, c.scenario) ? 'stands' : 'CHANGED'}`)
}
console.log('')
for (const c of controls) {
  console.log(`control: ${pad(c.title, 44)} ${lpad(String(c.inputs), 3)} × ${pad(`${c.expected.result} ${c.expected.reason}`, 24)} ` +
    `${c.inputsAsExpected === c.inputs ? 'as expected' : 'NOT AS EXPECTED'}`)
}
console.log('')

// ---------------------------------------------------------------------------------------------
// 2. the fuzz
// ---------------------------------------------------------------------------------------------

type Outcome = 'rejected' | 'ignored' | 'accepted' | 'threw'

class Tally {
  inputs = 0
  readonly outcomes: Record<Outcome, number> = { rejected: 0, ignored: 0, accepted: 0, threw: 0 }
  readonly reasons = new Map<string, number>()
  readonly examples: string[] = []

  add (outcome: Outcome, reason: string, input?: Bytes): void {
    this.inputs++
    this.outcomes[outcome]++
    const key = `${outcome === 'threw' ? 'THREW' : outcome} ${reason}`
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1)
    if ((outcome === 'threw') && this.examples.length < 3 && input !== undefined) {
      this.examples.push(`${reason} on ${Buffer.from(input.subarray(0, 48)).toString('hex')}${input.length > 48 ? '…' : ''} (${input.length} bytes)`)
    }
  }

  top (n = 4): string {
    return [...this.reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${v}`).join(', ')
  }
}

const random = new SeededRandom(SEED * 7919 + 101)

function randomBytes (n: number): Bytes {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = random.int(0, 255)
  return out
}

/** Lengths: mostly short, some up to the small-message limit and beyond, a few past the 512 KiB limit. */
function randomLength (): number {
  const p = random.next()
  if (p < 0.6) return random.int(0, 64)
  if (p < 0.85) return random.int(65, 1024)
  if (p < 0.99) return random.int(1025, 20_000)
  return random.int(512 * 1024 - 16, 512 * 1024 + 4096)
}

const ASCII = 'abcdefghijklmnopqrstuvwxyz0123456789-_/ '
function randomString (): string {
  const n = random.pick([0, 1, 2, 7, 12, 64, 129, 300])
  let s = ''
  for (let i = 0; i < n; i++) s += random.chance(0.05) ? String.fromCodePoint(random.int(0x80, 0x2fff)) : ASCII[random.int(0, ASCII.length - 1)]
  return s
}

/** A random CBOR-encodable value (no undefined, no NaN: the encoder refuses them canonically). */
function randomValue (depth = 0): unknown {
  const kind = random.int(0, depth > 2 ? 5 : 8)
  switch (kind) {
    case 0: return random.pick([0, 1, -1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, -(2 ** 31), random.int(-1e6, 1e6)])
    case 1: return random.pick([0.5, 1.5, -2.25, 1e300, 3.14159, 1 / 3])
    case 2: return randomString()
    case 3: return randomBytes(random.pick([0, 1, 31, 32, 33, 64, 65]))
    case 4: return random.pick([true, false, null])
    case 5: return random.pick(['proposal', 'vote', 'close', 'ack', 'want', 'default', 'for', 'against', 'abstain', 'approved', 'rejected', 'timeout'])
    case 6: return Array.from({ length: random.int(0, 4) }, () => randomValue(depth + 1))
    default: return Object.fromEntries(Array.from({ length: random.int(0, 4) }, () => [randomString(), randomValue(depth + 1)]))
  }
}

/** Bodies of valid messages to start from, as plain objects. */
function bodyObject (envelope: Bytes): Record<string, unknown> {
  const [body] = decodeCanonical(envelope, 1 << 20) as Bytes[]
  return decodeCanonical(body as Bytes, 1 << 20) as Record<string, unknown>
}

/** Envelope-shaped CBOR: a real message's body with fields dropped, added or replaced, in an envelope with a random signature. */
function randomEnvelope (templates: Array<Record<string, unknown>>): Bytes {
  const body: Record<string, unknown> = { ...random.pick(templates) }
  const keys = Object.keys(body)
  const edits = random.int(0, 3)
  for (let e = 0; e < edits; e++) {
    const op = random.int(0, 2)
    if (op === 0 && keys.length > 0) delete body[random.pick(keys)]
    else if (op === 1) body[random.chance(0.5) ? randomString() : random.pick(['weight', 'sig', 'signer', 'voter', 'type', 'v'])] = randomValue()
    else if (keys.length > 0) body[random.pick(keys)] = randomValue()
  }
  let bodyBytes: Bytes
  try {
    bodyBytes = encodeCanonical(body)
  } catch {
    bodyBytes = randomBytes(randomLength())
  }
  const shape = random.int(0, 5)
  const sig = randomBytes(random.pick([64, 64, 64, 0, 32, 65]))
  if (shape === 0) return encodeCanonical([bodyBytes])
  if (shape === 1) return encodeCanonical([bodyBytes, sig, randomValue()])
  if (shape === 2) return encodeCanonical([bodyBytes, randomValue()])
  return encodeCanonical([bodyBytes, sig])
}

const SPECIAL = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x40, 0x5f, 0x60, 0x7f, 0x80,
  0x9f, 0xa0, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff
]

/** 1–4 random byte-level mutations; never the original bytes. */
function mutate (original: Bytes): Bytes {
  for (;;) {
    let b = Array.from(original)
    const ops = random.int(1, 4)
    for (let o = 0; o < ops; o++) {
      const at = random.int(0, Math.max(0, b.length - 1))
      switch (random.int(0, 9)) {
        case 0: if (b.length > 0) b[at] = (b[at] as number) ^ (1 << random.int(0, 7)); break
        case 1: if (b.length > 0) b[at] = random.int(0, 255); break
        case 2: if (b.length > 0) b[at] = random.pick(SPECIAL); break
        case 3: b.splice(at, 0, random.int(0, 255)); break
        case 4: b.splice(at, random.int(1, 8)); break
        case 5: b = b.slice(0, random.int(0, b.length)); break
        case 6: b.push(...randomBytes(random.int(1, 8))); break
        case 7: { const len = random.int(1, 16); b.splice(at, 0, ...b.slice(at, at + len)); break }
        case 8: { const other = random.int(0, Math.max(0, b.length - 1)); const t = b[at] as number; b[at] = b[other] as number; b[other] = t; break }
        default: if (b.length > 0) b[at] = ((b[at] as number) + random.pick([1, -1, 24, -24, 32, -32]) + 256) % 256
      }
    }
    const out = new Uint8Array(b)
    if (out.length !== original.length || out.some((x, i) => x !== original[i])) return out
  }
}

const reasonOf = (err: unknown): string => err instanceof InvalidMessageError
  ? err.reason
  : `${(err as Error)?.name ?? 'error'}: ${String((err as Error)?.message ?? err).slice(0, 80)}`

log(`fuzz: ${FUZZ} inputs of each kind, seed ${SEED}`)
// a live agent with an open proposal; its rate limit lifted so every input reaches validation
const h = await makeSwarm(5, { manager: { maxMessagesPerSecondPerPeer: 1e9 } })
const open = await propose(h, 0, { action: 'fuzz' })
const target = h.swarm.agent(1).manager
const adv = h.ids[ADV]!
const seeds: Array<[string, Bytes]> = [
  ['proposal', open.opened.bytes],
  ['vote', (await sealVote(open, adv, 'against', { metadata: { note: 'fuzz' } })).bytes],
  ['close', await sealClose(h, open, 0, { round: 0, closedAt: open.body.deadline })],
  ['close of round 1', await sealClose(h, open, open.closer(1), { round: 1, closedAt: open.roundStart(1) })],
  ['prevote', await sealAck(adv, open.id, open.id)],
  ['precommit', await sealAck(adv, open.id, open.id, { phase: 'precommit' })],
  ['want', sealWant({ type: 'want', v: PROTOCOL_VERSION, ns: 'default', proposal: open.id, ids: [open.id] }).bytes]
]
const templates = seeds.map(([, bytes]) => bodyObject(bytes))

// a certificate of a decided proposal
const certSwarm = await SimulatedSwarm.create({ agents: 5, seed: SEED })
const decided = await certSwarm.request(0, { action: 'certificate' }, { timeoutMs: 2_000 })
if (decided.certificate === undefined) throw new Error('the certificate swarm did not decide')
const certBytes = encodeCertificate(decided.certificate)
const certParts = decided.certificate
await certSwarm.stop()

interface FuzzRow { kind: string, target: string, tally: Tally, note: string }
const rows: FuzzRow[] = []
const row = (kind: string, targetName: string, note = ''): Tally => {
  const tally = new Tally()
  rows.push({ kind, target: targetName, tally, note })
  return tally
}

const votesBefore = h.votes[1]?.length ?? 0
const evidenceBefore = h.evidence[1]?.length ?? 0
const kinds: Array<[string, () => Bytes]> = [
  ['random bytes', () => randomBytes(randomLength())],
  ['random envelope-shaped CBOR', () => randomEnvelope(templates)],
  ['mutated valid envelopes', () => { const [, bytes] = random.pick(seeds); return mutate(bytes) }]
]
let lastProgress = performance.now()
for (const [kind, make] of kinds) {
  const viaHandle = row(kind, '`handleMessage`')
  const viaOpen = row(kind, '`openMessage`', 'accepted = a well-formed unsigned `want` (no signature to forge)')
  const viaCodec = row(kind, '`decodeCanonical`', 'accepted = well-formed canonical CBOR (no schema at this layer)')
  for (let n = 0; n < FUZZ; n++) {
    const input = make()
    // handleMessage: must answer with a verdict, never throw, never accept
    try {
      const verdict: Verdict = await target.handleMessage(input, MALLORY)
      viaHandle.add(verdict.result === 'reject' ? 'rejected' : verdict.result === 'ignore' ? 'ignored' : 'accepted', verdict.reason, input)
    } catch (err) {
      viaHandle.add('threw', reasonOf(err), input)
    }
    // openMessage: only InvalidMessageError, or a verified message
    try {
      const opened = await openMessage(input)
      viaOpen.add('accepted', opened.body.type, input)
    } catch (err) {
      viaOpen.add(err instanceof InvalidMessageError ? 'rejected' : 'threw', reasonOf(err), input)
    }
    try {
      decodeCanonical(input, 512 * 1024)
      viaCodec.add('accepted', 'decoded', input)
    } catch (err) {
      viaCodec.add(err instanceof InvalidMessageError ? 'rejected' : 'threw', reasonOf(err), input)
    }
    if (performance.now() - lastProgress > 2000 || n === FUZZ - 1) {
      lastProgress = performance.now()
      log(`  fuzz messages, ${kind}: ${n + 1}/${FUZZ} (${(100 * (n + 1) / FUZZ).toFixed(0)} %)  ${elapsed()}`)
    }
  }
  const signedAccepted = [...viaOpen.reasons.entries()].filter(([k]) => k.startsWith('accepted ') && k !== 'accepted want').reduce((n, [, v]) => n + v, 0)
  if (viaHandle.outcomes.accepted > 0) failures.push(`fuzz (${kind}): handleMessage ACCEPTED ${viaHandle.outcomes.accepted} input(s): ${viaHandle.top()}`)
  if (signedAccepted > 0) failures.push(`fuzz (${kind}): openMessage verified ${signedAccepted} signed message(s) it was not given: ${viaOpen.top()}`)
  for (const r of [viaHandle, viaOpen, viaCodec]) {
    if (r.outcomes.threw > 0) failures.push(`fuzz (${kind}): ${r.outcomes.threw} input(s) THREW: ${r.examples.join('; ')}`)
  }
}
const fuzzVotes = (h.votes[1]?.length ?? 0) - votesBefore
const fuzzEvidence = (h.evidence[1]?.length ?? 0) - evidenceBefore
if (fuzzVotes > 0) failures.push(`fuzz: ${fuzzVotes} vote event(s) on the fuzzed agent`)

// certificates: decodeCertificate, then verifyCertificate on what decodes
const certKinds: Array<[string, () => Bytes]> = [
  ['random bytes', () => randomBytes(randomLength())],
  ['random certificate-shaped CBOR', () => {
    const part = (valid: Bytes): unknown => random.chance(0.5) ? valid : random.chance(0.5) ? mutate(valid) : randomValue()
    const list = (valid: Bytes[]): unknown => random.chance(0.2) ? randomValue() : valid.filter(() => random.chance(0.8)).map(part)
    const value: Record<string, unknown> = {
      v: random.chance(0.8) ? CERTIFICATE_VERSION : randomValue(),
      proposal: part(certParts.proposal),
      close: part(certParts.close),
      votes: list(certParts.votes),
      acks: list(certParts.acks)
    }
    if (random.chance(0.1)) value[randomString()] = randomValue()
    try { return encodeCanonical(value) } catch { return randomBytes(randomLength()) }
  }],
  ['mutated valid certificate', () => mutate(certBytes)]
]
for (const [kind, make] of certKinds) {
  const tally = row(kind, '`decodeCertificate` + `verifyCertificate`', 'accepted = verified: only inputs that kept the real certificate\'s close, ' +
    'every vote it counts and enough of its deciding acks (every member\'s round-0 prevote, or precommits of > 2/3 of the weight in one round); ' +
    'each verified to that same outcome and decision')
  for (let n = 0; n < FUZZ; n++) {
    const input = make()
    let stage = 'decode'
    try {
      const certificate = decodeCertificate(input)
      stage = 'verify'
      const verified = await verifyCertificate(certificate)
      // the only certificate that may verify is the real one's outcome (with a sufficient subset of its parts)
      const reason = verified.certificateId === certParts.id
        ? `verified ${verified.decision}`
        : `verified ANOTHER outcome ${verified.certificateId.slice(0, 12)}`
      tally.add('accepted', reason, input)
    } catch (err) {
      tally.add(err instanceof InvalidMessageError ? 'rejected' : 'threw', `${stage}: ${reasonOf(err)}`, input)
    }
    if (performance.now() - lastProgress > 2000 || n === FUZZ - 1) {
      lastProgress = performance.now()
      log(`  fuzz certificates, ${kind}: ${n + 1}/${FUZZ} (${(100 * (n + 1) / FUZZ).toFixed(0)} %)  ${elapsed()}`)
    }
  }
  if (tally.outcomes.threw > 0) failures.push(`fuzz certificates (${kind}): ${tally.outcomes.threw} input(s) THREW: ${tally.examples.join('; ')}`)
  // certificate-shaped inputs may carry the valid parts unchanged: then verifying is right, if it is the same decision
  const wrong = [...tally.reasons.entries()].filter(([k]) => k.startsWith('accepted ') && k !== `accepted verified ${decided.decision}`)
  if (wrong.length > 0) failures.push(`fuzz certificates (${kind}): verified to another decision: ${wrong.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  if (kind !== 'random certificate-shaped CBOR' && tally.outcomes.accepted > 0) {
    failures.push(`fuzz certificates (${kind}): ${tally.outcomes.accepted} verified`)
  }
}

// after all that, the fuzzed agent still decides its proposal with the others
for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
let afterFuzz = 'not decided'
try {
  const result = await finish(h, open, [0, 1, 2, 3, 4])
  const verified = result.certificate === undefined ? undefined : await verifyCertificate(result.certificate)
  afterFuzz = verified?.decision === 'approved' && result.decision === 'approved'
    ? 'approved, certificate verifies'
    : `decided ${result.decision}, certificate ${verified === undefined ? 'missing' : verified.decision}`
} catch (err) {
  afterFuzz = `failed: ${reasonOf(err)}`
}
if (afterFuzz !== 'approved, certificate verifies') failures.push(`after the fuzz, the fuzzed swarm's proposal: ${afterFuzz}`)
await h.swarm.stop()

console.log('')
console.log(`${pad('fuzz input', 32)} ${pad('through', 42)} ${lpad('n', 6)} ` +
  `${lpad('rejected', 8)} ${lpad('ignored', 8)} ${lpad('accepted', 8)} ${lpad('threw', 6)}`)
for (const r of rows) {
  const o = r.tally.outcomes
  console.log(`${pad(r.kind, 32)} ${pad(r.target.replaceAll('`', ''), 42)} ${lpad(String(r.tally.inputs), 6)} ` +
    `${lpad(String(o.rejected), 8)} ${lpad(String(o.ignored), 8)} ${lpad(String(o.accepted), 8)} ${lpad(String(o.threw), 6)}`)
}
console.log(`vote events on the fuzzed agent: ${fuzzVotes}; evidence events: ${fuzzEvidence}; afterwards: ${afterFuzz}`)
console.log('')

// ---------------------------------------------------------------------------------------------
// 3. docs/adversarial-corpus.md
// ---------------------------------------------------------------------------------------------

/** A paragraph of docs/PROTOCOL.md starting with `start`, verbatim. */
function protocolParagraph (start: string): string | undefined {
  const text = readFileSync(PROTOCOL, 'utf8')
  const at = text.indexOf(start)
  if (at < 0) return undefined
  const end = text.indexOf('\n\n', at)
  // up to the blank line, and never into a table row that follows without one
  const lines = text.slice(at, end < 0 ? undefined : end).split('\n')
  const row = lines.findIndex(l => l.startsWith('|'))
  return (row < 0 ? lines : lines.slice(0, row)).join('\n').trim()
}
const cannotProve = protocolParagraph('**What cannot be proven to others.**')
const clocks = protocolParagraph('Clocks: a close\'s signed `closedAt`')
if (cannotProve === undefined) failures.push('docs/PROTOCOL.md has no "**What cannot be proven to others.**" paragraph to quote')

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ')
const num = (n: number): string => n.toLocaleString('en-US')
const quote = (p: string): string => p.split('\n').map(l => `> ${l}`).join('\n')
const args = process.argv.slice(2)
const command = `npm run corpus${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const totalInputs = attacks.reduce((n, c) => n + c.inputs, 0)
const totalDeliveries = attacks.reduce((n, c) => n + c.deliveries, 0)
const totalCounted = attacks.reduce((n, c) => n + c.counted, 0)
const byResult = (result: string): number => attacks.filter(c => c.expected.result === result).reduce((n, c) => n + c.inputsAsExpected, 0)

const md: string[] = []
md.push(
  '<!-- GENERATED FILE — do not edit by hand. Regenerate with `npm run corpus` (scripts/corpus.ts). -->',
  '',
  `> **Adversarial corpus — generated** by \`${command}\` on ${date} (Node ${process.version}, ${((performance.now() - started) / 1000).toFixed(1)} s),`,
  '> not written by hand: every figure below comes from that run. The inputs are built in',
  '> `test/helpers/corpus/` and run by `test/helpers/adversarial-corpus.ts`; `test/adversarial.test.ts` asserts the same verdicts on every `npm test`.',
  ''
)
if (failures.length > 0) {
  md.push('### ⚠ Failures', '', ...failures.map(f => `- ${cell(f)}`), '')
}
md.push(
  'Each class is a set of crafted messages fed one by one to `ConsensusManager.handleMessage` of every',
  'honest agent of a live `SimulatedSwarm` (virtual time) that holds an open proposal; they claim to come',
  'from a peer that is not on the network. Then the honest members vote and the proposal is decided.',
  '',
  '- **answered so**: inputs that got the verdict docs/PROTOCOL.md ("Validation outcomes") prescribes on',
  '  *every* honest agent (deliveries = inputs × honest agents × times sent).',
  '- **counted**: inputs that raised a `vote` event while handled, whose exact bytes are among the votes a',
  '  final certificate counts or the acks it carries, or (closes) whose outcome an honest peer prevoted or',
  '  precommitted or a certificate decided. For equivocation, the equivocators\' earlier votes are checked too: neither vote of a pair may be',
  '  counted. An exact copy of a counted vote *is* that vote, so a duplicate counts only through a second `vote` event.',
  '- **decision stands**: every honest agent decided what the honest votes alone give (decision, voters,',
  '  for/against, and on a proposal with choices the winner), with one certificate that `verifyCertificate` accepts, still the same after virtual time ran',
  '  past the start of every pinned closer\'s round and three more.',
  '',
  `**${num(totalInputs)} adversarial inputs in ${attacks.length} classes, ${num(totalDeliveries)} deliveries: ` +
    `${num(byResult('reject'))} rejected, ${num(byResult('ignore'))} ignored` +
    `${byResult('accept') > 0 ? `, ${num(byResult('accept'))} accepted (equivocation evidence, or a later round's close kept for its round)` : ''}` +
    ` — each as the protocol says — and ${num(totalCounted)} counted.**`,
  '',
  '### Per class',
  '',
  '| class | what the adversary sends | inputs | verdict | answered so | counted | evidence raised | decision stands |',
  '|---|---|---:|---|---|---:|---:|---|'
)
for (const c of attacks) {
  md.push(`| ${cell(c.title)} | ${cell(c.description)} | ${c.inputs} | ${c.expected.result} \`${c.expected.reason}\` | ` +
    `${c.inputsAsExpected}/${c.inputs} ${answered(c)} (${c.deliveriesAsExpected}/${c.deliveries} deliveries) | ` +
    `${c.counted} | ${c.evidence} | ${standsOf(corpus, c.scenario) ? 'yes' : '**no**'} |`)
}
md.push(
  '',
  '### Controls',
  '',
  'Valid and boundary inputs fed in the same runs, in order with the classes above: the harness accepts what it should.',
  '',
  '| control | inputs | verdict | answered so |',
  '|---|---:|---|---|'
)
for (const c of controls) {
  md.push(`| ${cell(c.title)}: ${cell(c.description)} | ${c.inputs} | ${c.expected.result} \`${c.expected.reason}\` | ` +
    `${c.inputsAsExpected}/${c.inputs} (${c.deliveriesAsExpected}/${c.deliveries} deliveries) |`)
}
md.push(
  '',
  '### Decisions afterwards',
  '',
  '| scenario | agents | honest | proposal | decision | for / against | voters | certificate verifies | stable | evidence raised (honest agents) |',
  '|---|---:|---:|---|---|---|---:|---|---|---|'
)
for (const s of corpus.scenarios) {
  const evidence = Object.entries(s.evidenceByKind).map(([k, v]) => `${k} ${v}`).join(', ') || '—'
  for (const c of s.conclusions) {
    md.push(`| ${cell(s.name)} | ${s.agents} | ${s.honest.length} | ${cell(c.label)} | ` +
      `${c.decision}${c.unchanged ? '' : ' **(expected ' + c.expected.decision + ')**'} | ${c.votesFor} / ${c.votesAgainst} | ` +
      `${c.voters.length} | ${c.certificateVerifies ? 'yes' : '**no**'} | ${c.stable ? 'yes' : '**no**'} | ${evidence} |`)
  }
}
md.push(
  '',
  '### Fuzz',
  '',
  `Seeded (\`--seed ${SEED}\`), ${num(FUZZ)} inputs of each kind. *Random bytes*: uniform bytes, lengths mostly up to 1 KiB,`,
  'some up to 20 KiB and 1 % around the 512 KiB limit. *Envelope-shaped CBOR*: the body of a real proposal, vote,',
  'close, ack or want with fields dropped, added or replaced by random values, in an envelope with a random',
  'signature (or none, or a third element). *Mutated*: a valid, correctly signed envelope of each type with 1–4',
  'random byte edits (bit flips, special CBOR head bytes, inserts, deletes, truncation, appended or repeated',
  'bytes, swaps). Messages go to `handleMessage` of a live agent holding an open proposal (its per-peer rate',
  'limit lifted so every input reaches validation), and to `openMessage` and `decodeCanonical`; certificates',
  '(random, certificate-shaped with real and random parts, or mutated from a real one) to `decodeCertificate`,',
  'then `verifyCertificate` if they decode. *threw* = anything but a verdict or an `InvalidMessageError`.',
  '',
  '| input | through | n | rejected | ignored | accepted | threw | most frequent outcomes |',
  '|---|---|---:|---:|---:|---:|---:|---|'
)
const SUP = ['¹', '²', '³', '⁴', '⁵']
const footnotes = new Map<string, string>()
for (const r of rows) {
  const o = r.tally.outcomes
  let mark = ''
  if (r.note !== '' && o.accepted > 0) {
    const note = `${r.target}: ${r.note}.`
    if (!footnotes.has(note)) footnotes.set(note, SUP[footnotes.size] ?? `(${footnotes.size + 1})`)
    mark = footnotes.get(note) as string
  }
  md.push(`| ${cell(r.kind)} | ${r.target} | ${num(r.tally.inputs)} | ${num(o.rejected)} | ${num(o.ignored)} | ` +
    `${num(o.accepted)}${mark} | ${num(o.threw)} | ${cell(r.tally.top(3))} |`)
}
md.push('')
const WANT_NOTE = ' `handleMessage` ignores such wants (`pull`, `unknown-proposal`) or rejects them (`wrong-namespace`): ' +
  'a want asks, it carries no authority.'
for (const [note, mark] of footnotes) md.push(`${mark} ${note}${note.includes('want') ? WANT_NOTE : ''}`, '')
md.push(
  `No fuzz input was accepted by \`handleMessage\`, none made a decoder throw${fuzzVotes === 0 ? ', none raised a `vote` event' : ''}; ` +
    `afterwards the fuzzed agent's proposal was decided: ${afterFuzz}.`,
  '',
  '### What the corpus cannot show',
  '',
  'Everything above is a message a peer can check on its own. A closer that silently leaves a valid vote out',
  'of its close is not: the close is internally consistent and passes every check above. Only that voter can',
  'see the omission (its vote is not in the certificate); it can re-broadcast its vote and show the certificate',
  'as proof of what was left out, but the decision stands. In the words of docs/PROTOCOL.md:',
  '',
  quote(cannotProve ?? '(paragraph not found in docs/PROTOCOL.md)'),
  ''
)
if (clocks !== undefined) md.push('And for the early-dated closes above, which are held or kept rather than rejected:', '', quote(clocks), '')
md.push(
  'Outside the table: a close citing a non-member\'s vote or another proposal\'s vote stays pending on a live',
  'peer (ignored as `early-close` or `missing-votes` at first, then `duplicate` or `close-limit`: not one',
  'verdict) and is never adopted; `checkClose` and `verifyCertificate` reject it as `non-member` /',
  '`wrong-proposal`. A flooding member in a lossy, reordering network does not break agreement. Both are',
  'asserted in test/adversarial.test.ts.',
  ''
)

writeFileSync(OUT, md.join('\n'))
log(`wrote ${OUT} (${elapsed()})`)
if (failures.length > 0) {
  console.error(`[corpus] ${failures.length} FAILURE(S):\n${failures.map(f => `  - ${f}`).join('\n')}`)
  process.exitCode = 1
} else {
  log(`all ${attacks.length} classes: every input answered as the protocol says, 0 counted, every decision stands; fuzz: 0 threw, 0 accepted by handleMessage`)
}
