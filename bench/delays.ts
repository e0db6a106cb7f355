/**
 * Section `delays` of `npm run bench`: message delays to decision. `SimulatedSwarm` in virtual time
 * with one fixed link latency L (no loss, no jitter, no skew), so every figure is a count of one-way
 * message delays rather than a CPU time. Time is read from each agent's own 'decision' event (the
 * virtual clock when it fired), from the request on; nothing is derived from the protocol's design,
 * so the same code measures whatever the core does. Runs alone too: `npx tsx bench/delays.ts [flags]`.
 *
 * Cases, each on a fresh swarm, the requester (= the coordinator) is agent 0, every member votes 'for'
 * the moment it sees the proposal (the swarm's default voter: no think time):
 *   good                  every member up
 *   member-down           the last agent crashed before the proposal (an all-member fast path cannot apply)
 *   coordinator-crash     the coordinator crashes right after broadcasting its proposal (fallback closers take over)
 *   close-reached-one     from its first close on the coordinator sends only that close, to agent 1, and crashes once it is delivered
 *
 * Flags (all optional):
 *   --delay-sizes 10,25     swarm sizes N
 *   --link-ms 100           L, the one-way latency of every delivery
 *   --delay-timeout 2000    the proposal's timeoutMs (the deadline, from the request)
 *   --delay-step 500        Δ (closeStepMs), the gap between closer slots
 *   --delay-tolerance 250   every manager's clockToleranceMs (kept ≤ Δ/2, as the default Δ is)
 *   --delay-cases good,member-down,coordinator-crash,close-reached-one
 */
import { decode } from 'cborg'
import { SimulatedSwarm } from '../src/testing/index.js'
import { exitSoon, isMain, log, markdown, parseFlags } from './util.js'
import type { ConsensusResult } from '../src/index.js'

/** A staged situation, see the file header. */
export type DelayCase = 'good' | 'member-down' | 'coordinator-crash' | 'close-reached-one'

const CASES: DelayCase[] = ['good', 'member-down', 'coordinator-crash', 'close-reached-one']

/** Options of the section (see the file header). */
export interface DelaysOptions {
  sizes: number[]
  linkMs: number
  timeoutMs: number
  closeStepMs: number
  clockToleranceMs: number
  cases: DelayCase[]
}

/** Options from `--flag value` pairs (see the file header). */
export function delaysOptions (flags: Map<string, string>): DelaysOptions {
  const int = (flag: string, fallback: number): number => {
    const v = flags.get(flag)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`)
    return n
  }
  const cases = (flags.get('--delay-cases')?.split(',') ?? CASES) as DelayCase[]
  for (const c of cases) if (!CASES.includes(c)) throw new Error(`--delay-cases: ${c} is none of ${CASES.join(', ')}`)
  const sizes = (flags.get('--delay-sizes') ?? '10,25').split(',').map(Number)
  if (sizes.some(n => !Number.isInteger(n) || n < 4 || n > 200)) throw new Error('--delay-sizes: integers from 4 to 200')
  return {
    sizes,
    linkMs: int('--link-ms', 100),
    timeoutMs: int('--delay-timeout', 2_000),
    closeStepMs: int('--delay-step', 500),
    clockToleranceMs: int('--delay-tolerance', 250),
    cases
  }
}

/** One case at one size: virtual ms from the request, and in delays (÷ L). */
export interface DelayRun {
  case: DelayCase
  n: number
  /** agents that were not crashed at the end, and how many of them decided */
  live: number
  decided: number
  /** the requester's 'decision' event; null when it crashed or never decided */
  requesterMs: number | null
  /** when the requester's requestConsensus promise settled with a result */
  requesterResultMs: number | null
  firstMs: number | null
  /** the last live agent's 'decision' event, once every live agent decided; else null */
  lastMs: number | null
  decisions: string[]
  /** distinct certificate ids among the deciders (1 = identical everywhere) */
  certificateIds: number
  /** message types the coordinator sent, with counts (read off the wire, for the crash cases) */
  coordinatorSent: Record<string, number>
  crashedAtMs: number | null
  /** what went wrong staging the case, if anything */
  note?: string
}

/** Everything the section reports. */
export interface DelaysReport {
  settings: DelaysOptions & { voter: string, algorithm: string }
  runs: DelayRun[]
  table: string
  goals: Array<{ label: string, figure: string, goal: string, met: boolean | null }>
}

/** The type of a sealed message (its outer CBOR array's first item is the signed body, a map with `type`). */
function messageType (bytes: Uint8Array): string {
  try {
    const [body] = decode(bytes) as [Uint8Array]
    const type = (decode(body) as { type?: unknown }).type
    return typeof type === 'string' ? type : 'unknown'
  } catch {
    return 'unknown'
  }
}

const macrotask = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

async function runCase (kind: DelayCase, n: number, opts: DelaysOptions): Promise<DelayRun> {
  const swarm = await SimulatedSwarm.create({
    agents: n,
    seed: 1,
    latencyMs: [opts.linkMs, opts.linkMs],
    manager: { clockToleranceMs: opts.clockToleranceMs }
  })
  const ids = swarm.agents.map(a => a.identity.peerId)
  const coordinator = swarm.agent(0)
  const coordinatorId = coordinator.identity.peerId
  const decidedAt = new Map<number, { at: number, result: ConsensusResult }>()
  for (const agent of swarm.agents) {
    agent.manager.addEventListener('decision', (evt) => {
      if (!decidedAt.has(agent.index)) decidedAt.set(agent.index, { at: swarm.clock.now(), result: evt.detail })
    })
  }
  const coordinatorSent: Record<string, number> = {}
  let crashedAt: number | null = null
  let note: string | undefined
  const crashCoordinator = (): void => {
    if (coordinator.crashed) return
    crashedAt = swarm.clock.now()
    void swarm.crash(0)
  }
  let closeSent = false
  const closeTarget = ids[1] as string
  swarm.network.monitor = (event, message) => {
    if (event.from !== coordinatorId) return
    const type = messageType(message)
    if (event.event === 'send' && !coordinator.crashed) {
      coordinatorSent[type] = (coordinatorSent[type] ?? 0) + 1
      // after the whole broadcast (one synchronous loop over the peers), not after its first copy
      if (kind === 'coordinator-crash' && type === 'proposal') queueMicrotask(crashCoordinator)
      if (type === 'close') closeSent = true
    }
    if (kind === 'close-reached-one' && event.event === 'deliver' && type === 'close' && event.to === closeTarget) queueMicrotask(crashCoordinator)
  }
  if (kind === 'close-reached-one') {
    // mute from its first close on, except for that close to one peer; the filter runs before the
    // monitor sees the send, so the first close itself is already held to the one peer
    swarm.network.filter = (from, to, message) => {
      if (from !== coordinatorId) return true
      if (!closeSent && messageType(message) !== 'close') return true
      closeSent = true
      return to === closeTarget && messageType(message) === 'close'
    }
  }
  if (kind === 'member-down') await swarm.crash(n - 1)

  const start = swarm.clock.now()
  let requesterResultAt: number | null = null
  void coordinator.manager.requestConsensus({ bench: 'delays', case: kind, n }, {
    algorithm: 'quorum', participants: ids, timeoutMs: opts.timeoutMs, closeStepMs: opts.closeStepMs
  }).then(() => { requesterResultAt = swarm.clock.now() }, () => {})
  await macrotask()
  // 1 ms steps with a macrotask between them, so that work nobody awaited runs at the virtual time it
  // was started at, not at the next timer's
  const limit = start + opts.timeoutMs + 40 * opts.closeStepMs
  const live = (): number[] => swarm.agents.filter(a => !a.crashed).map(a => a.index)
  const allDecided = (): boolean => live().every(i => decidedAt.has(i)) && (coordinator.crashed || requesterResultAt !== null)
  while (!allDecided() && swarm.clock.now() < limit && swarm.clock.pending > 0) {
    await swarm.clock.runUntil(swarm.clock.now() + 1)
    await macrotask()
  }
  await swarm.stop()

  if (kind === 'coordinator-crash' && crashedAt === null) note = 'no proposal seen on the wire: the coordinator was never crashed'
  if (kind === 'close-reached-one' && crashedAt === null) note = 'no close from the coordinator reached agent 1: it was never crashed'
  const liveIdx = live()
  const times = liveIdx.map(i => decidedAt.get(i)?.at).filter((t): t is number => t !== undefined).map(t => t - start)
  const results = [...decidedAt.values()].map(d => d.result)
  const requester = decidedAt.get(0)
  return {
    case: kind,
    n,
    live: liveIdx.length,
    decided: times.length,
    requesterMs: requester === undefined ? null : requester.at - start,
    requesterResultMs: requesterResultAt === null ? null : (requesterResultAt as number) - start,
    firstMs: times.length === 0 ? null : Math.min(...times),
    lastMs: times.length === liveIdx.length && times.length > 0 ? Math.max(...times) : null,
    decisions: [...new Set(results.map(r => r.decision))],
    certificateIds: new Set(results.map(r => r.certificate?.id ?? 'none')).size,
    coordinatorSent,
    crashedAtMs: crashedAt === null ? null : (crashedAt as number) - start,
    ...(note === undefined ? {} : { note })
  }
}

const LABEL: Record<DelayCase, string> = {
  good: '(a) good case: coordinator alive, every member up',
  'member-down': '(b) one member down before the proposal',
  'coordinator-crash': '(c) coordinator crashes right after its proposal',
  'close-reached-one': '(d) coordinator crashes after its close reached one peer'
}

/** Section `delays`: decision time ÷ L per case and size. */
export async function runDelays (opts: DelaysOptions): Promise<DelaysReport> {
  const L = opts.linkMs
  log(`delays: L = ${L} ms fixed, no loss; N = ${opts.sizes.join(', ')}; deadline ${opts.timeoutMs} ms, Δ ${opts.closeStepMs} ms, ` +
    `clock tolerance ${opts.clockToleranceMs} ms; cases ${opts.cases.join(', ')}`)
  const runs: DelayRun[] = []
  for (const kind of opts.cases) {
    for (const n of opts.sizes) {
      const run = await runCase(kind, n, opts)
      runs.push(run)
      log(`delays: ${kind} N=${n}: requester ${run.requesterMs ?? '–'} ms, last ${run.lastMs ?? '–'} ms ` +
        `(${run.decided}/${run.live} live decided ${run.decisions.join('/') || 'nothing'}, ${run.certificateIds} certificate id(s))` +
        `${run.crashedAtMs === null ? '' : `; coordinator crashed at ${run.crashedAtMs} ms after sending ${JSON.stringify(run.coordinatorSent)}`}` +
        `${run.note === undefined ? '' : `; ${run.note}`}`)
    }
  }
  const d = (ms: number | null): string => ms === null ? '–' : `${(ms / L).toFixed(2)}`
  const afterDeadline = (ms: number | null): string => {
    if (ms === null) return '–'
    const after = ms - opts.timeoutMs
    return `${(Math.abs(after) / L).toFixed(2)} L = ${(Math.abs(after) / opts.closeStepMs).toFixed(2)} Δ ${after < 0 ? 'before' : 'after'}`
  }
  const goalOf: Record<DelayCase, number | null> = { good: 4, 'member-down': 5, 'coordinator-crash': null, 'close-reached-one': null }
  const goals: DelaysReport['goals'] = []
  const rows = runs.map(r => {
    const goal = goalOf[r.case]
    const worst = r.lastMs === null ? null : Math.max(r.lastMs, r.requesterMs ?? 0, r.requesterResultMs ?? 0)
    const met = goal === null ? null : worst !== null && worst <= goal * L
    goals.push({
      label: `${LABEL[r.case]}, N = ${r.n}`,
      figure: goal === null
        ? `last peer ${d(r.lastMs)} delays (${afterDeadline(r.lastMs)} the deadline)`
        : `requester ${d(r.requesterMs)}, last peer ${d(r.lastMs)} delays`,
      goal: goal === null ? '(reported)' : `≤ ${goal} delays`,
      met
    })
    const identical = r.decided === 0
      ? '–'
      : r.decisions.length === 1 && r.certificateIds === 1 ? `yes (${r.decisions[0] ?? ''})` : `**no** (${r.decisions.join('/')})`
    return [
      LABEL[r.case], String(r.n), `${r.decided}/${r.live}`,
      d(r.requesterMs), d(r.requesterResultMs), d(r.firstMs), d(r.lastMs),
      goal === null ? afterDeadline(r.lastMs) : '',
      identical,
      goal === null ? '(reported)' : `≤ ${goal}`,
      met === null ? '' : met ? 'yes' : '**no**'
    ]
  })
  const table = markdown([
    'case', 'N', 'decided', 'requester decision', 'requester result', 'first peer', 'last peer', 'last peer vs the deadline',
    'same decision + certificate', 'goal (delays)', 'met'
  ], rows, 1)
  return {
    settings: { ...opts, voter: 'every member votes for the moment it sees the proposal (no think time)', algorithm: 'quorum (threshold 0.5)' },
    runs,
    table,
    goals
  }
}

if (isMain(import.meta.url)) {
  const opts = delaysOptions(parseFlags(process.argv.slice(2)))
  runDelays(opts).then(r => {
    console.log(`\nMessage delays to decision (time from the request ÷ L = ${opts.linkMs} ms; deadline ${opts.timeoutMs} ms, Δ ${opts.closeStepMs} ms)`)
    console.log(r.table)
    exitSoon()
  }, (err) => { console.error(err); process.exitCode = 1 })
}
