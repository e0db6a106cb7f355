/**
 * Presence: who is on the consensus topic beyond the peers we are connected to.
 *
 * A browser tab connects to one hub and sees only the hub subscribed; without more, a tab that
 * coordinates would propose to an electorate of two. Every peer therefore gossips a signed
 * `presence` message on the topic (on start, whenever a new peer shows up, and every
 * `intervalMs`), and keeps a roster of the peers it heard from recently. The roster only widens the
 * *default* electorate a coordinator pins into its proposal; it never changes how votes count, so a
 * forged or stale entry can cost liveness (a member who never votes), never safety.
 *
 * An announcement may carry a display name and a role the peer chose for itself. They are
 * self-declared labels: they help people read a roster and let a coordinator write
 * `participants: ['expert-backend-001']`, but the coordinator pins the PeerId that announced the
 * name, and only PeerIds are signed and counted.
 *
 * A peer that stops gossips a last, signed announcement marked `leaving`, so that peers it was not
 * connected to drop it at once rather than after their TTL (its neighbours already drop it when the
 * connection closes). A peer that vanishes without one (a crash, a cut cable) leaves by the TTL.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import { systemClock, type Clock } from '../clock.js'
import { InvalidMessageError } from '../errors.js'
import { sealMessage, verifyMessage, type DecodedMessage } from '../wire/envelope.js'
import { defaultDecodeLimits } from '../wire/limits.js'
import { displayNameProblem, PROTOCOL_VERSION, type PresenceBody } from '../wire/messages.js'
import { isRejectReason, type Verdict } from '../transport/coordinator.js'
import type { Identity } from '../wire/identity.js'
import type { Logger } from '@libp2p/interface'

/** Options of `Presence`; every field is optional. */
export interface PresenceInit {
  /**
   * How often this peer announces itself. `0` turns presence off: the default electorate is then
   * only the peers this node is connected to. Left unset, the interval is 5 s stretched to 1 s per
   * peer in the roster (at most 60 s), so that a swarm sends about one announcement a second in all
   * whatever its size: every announcement reaches, and is verified by, every peer.
   *
   * @default 5000, stretched by the roster size (see above)
   */
  intervalMs?: number
  /**
   * A peer not heard from for this long leaves the roster; announcements older than this (by our
   * clock) are ignored as stale or replayed.
   *
   * @default 3 × intervalMs + 2000 (with the stretched interval when `intervalMs` is unset)
   */
  ttlMs?: number
  /**
   * Whether this peer announces itself as a voter. Peers that announce `false` (a hub or a
   * terminal that only proposes) stay out of others' default electorates, so that a unanimous
   * proposal is not doomed by a member who never answers.
   *
   * @default true when the service has a `voter`, else false (set it for a page that votes by hand)
   */
  voter?: boolean
  /**
   * Most peers the roster holds; announcements from further peers are ignored until some expire.
   *
   * @default 10000
   */
  maxPeers?: number
  /**
   * Where the jitter of announcement times comes from: a number in [0, 1), like `Math.random`. A
   * simulation passes a seeded generator so that a run replays exactly.
   *
   * @default Math.random
   */
  random?: () => number
  /**
   * A display name to announce (`expert-backend-001`): 1 to 64 characters once in Unicode NFC, no
   * leading or trailing whitespace, no control or bidi-control characters. Self-declared: other
   * peers show it and resolve it to this peer's PeerId, nothing more.
   *
   * @default no name
   */
  name?: string
  /**
   * A role to announce (`reviewer`, `hub`); the same rules as `name`.
   *
   * @default no role
   */
  role?: string
}

/** Who a peer says it is: its PeerId, and the name and role it announced in its signed presence, if any. */
export interface PeerInfo {
  /** the PeerId: the only identity that is signed and counted */
  peerId: string
  /** the display name it announced (self-declared; absent until its presence arrives, or when it announced none) */
  name?: string
  /** the role it announced (self-declared) */
  role?: string
  /** whether it answers proposals: as it announced, or (no presence heard from it yet) assumed */
  voter: boolean
}

/**
 * `value` checked as a display name or role for this peer to announce (`what` names it in the error):
 * `undefined` stays unset, a string is put in Unicode NFC and must then be a valid name. Throws
 * `InvalidParametersError` saying what is wrong.
 */
export function checkDisplayName (value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined
  const text = typeof value === 'string' ? value.normalize('NFC') : value
  const problem = displayNameProblem(text, defaultDecodeLimits.maxNameLength)
  if (problem !== undefined) throw new InvalidParametersError(`${what} must be ${problem}: got ${JSON.stringify(value) ?? String(value)}`)
  return text as string
}

/** The defaults of {@link PresenceInit}. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 5_000
/** Unset `intervalMs`: at least this much per peer in the roster, so a swarm announces ~once a second in all. */
export const PRESENCE_INTERVAL_PER_PEER_MS = 1_000
/** Unset `intervalMs`: the stretched interval never exceeds this. */
export const MAX_STRETCHED_PRESENCE_INTERVAL_MS = 60_000
const DEFAULT_MAX_PEERS = 10_000
/** An announcement dated this far in our future is ignored (clocks differ that much at most). */
const FUTURE_TOLERANCE_MS = 5_000
/** Answering newcomers: at most one extra announcement per this long (or a quarter interval, if longer). */
const MIN_ANNOUNCE_GAP_MS = 1_000
/** Wait a little before answering a newcomer, so several newcomers share one answer. */
const ANSWER_DELAY_MS = 100
/** `leave()` waits at most this long for its last announcement to be handed over, so a stop never hangs. */
const LEAVE_TIMEOUT_MS = 1_000

/** What `Presence` needs from around it. */
export interface PresenceContext {
  identity: Identity
  namespace: string
  log: Logger
  /** publish on the topic; resolves with the number of recipients (0 when nobody is there yet) */
  publish: (bytes: Uint8Array) => Promise<number>
  /** where time comes from: announcement dates, expiry and timers */
  clock?: Clock
}

/**
 * Why a peer left the roster: it announced it was `leaving` (it stopped), its connection to us
 * `disconnected`, or it was not heard from within the TTL (`expired`: a crash, a partition, or
 * simply a peer further away that stopped without its last announcement reaching us).
 */
export type AbsenceReason = 'left' | 'disconnected' | 'expired'

/** Who left the roster: what it last announced, and why it left. */
export interface AbsentPeerInfo extends PeerInfo {
  /** why it left the roster */
  reason: AbsenceReason
}

/** Events of `Presence`. */
export interface PresenceEvents {
  /** a peer entered the roster (its first announcement was heard) */
  'peer:present': CustomEvent<PeerInfo>
  /** a peer in the roster announced another name, role or voter flag */
  'peer:update': CustomEvent<PeerInfo>
  /** a peer left the roster (it announced leaving, disconnected, or expired): what it last announced, and why */
  'peer:absent': CustomEvent<AbsentPeerInfo>
}

interface RosterEntry { at: number, heardAt: number, voter: boolean, name?: string, role?: string, bytes: Uint8Array }

function infoOf (peerId: string, entry: RosterEntry): PeerInfo {
  return {
    peerId,
    ...(entry.name === undefined ? {} : { name: entry.name }),
    ...(entry.role === undefined ? {} : { role: entry.role }),
    voter: entry.voter
  }
}

/** The roster of peers heard from on the topic, and this peer's own announcements. */
export class Presence extends TypedEventEmitter<PresenceEvents> {
  private readonly configuredIntervalMs: number
  /** whether the interval follows the roster's size (`intervalMs` unset) */
  private readonly stretched: boolean
  private readonly fixedTtlMs: number | undefined
  private readonly maxPeers: number
  private readonly ctx: PresenceContext
  private readonly clock: Clock
  private readonly random: () => number
  /** Whether this peer announces itself as a voter. */
  readonly voter: boolean
  /** The display name this peer announces, if any (NFC). */
  readonly name: string | undefined
  /** The role this peer announces, if any (NFC). */
  readonly role: string | undefined
  /** peer id → its latest signed announcement, its `at`, what it announced, and when we heard it (our clock) */
  private readonly roster = new Map<string, RosterEntry>()
  /**
   * peer id → the `at` of the leaving announcement it signed, and when we heard it: an announcement it
   * sent before leaving that arrives late (another path, a replay) must not bring it back. Kept for the TTL.
   */
  private readonly departed = new Map<string, { at: number, heardAt: number }>()
  private own: { at: number, bytes: Uint8Array } | undefined
  /**
   * A leaving announcement signed ahead (dated just after `own`), for {@link leaveNow}: a page being
   * closed runs no asynchronous work to its end, and signing is asynchronous in a browser.
   */
  private farewell: { after: number, bytes: Uint8Array } | undefined
  private timer: unknown
  private answerTimer: unknown
  private lastAnnouncedAt = -Infinity
  /** whether the last announcement reached anybody (the first one, sent on start, often reaches nobody) */
  private lastAnnouncementHeard = false

  constructor (ctx: PresenceContext, init: PresenceInit = {}) {
    super()
    this.ctx = ctx
    this.clock = ctx.clock ?? systemClock
    this.random = init.random ?? Math.random
    this.stretched = init.intervalMs === undefined
    this.configuredIntervalMs = init.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS
    if (!(this.configuredIntervalMs >= 0) || !Number.isFinite(this.configuredIntervalMs)) {
      throw new InvalidParametersError(`presence intervalMs must be a finite number ≥ 0, got ${String(init.intervalMs)}`)
    }
    this.fixedTtlMs = init.ttlMs
    if (init.ttlMs !== undefined && !(init.ttlMs > 0)) throw new InvalidParametersError(`presence ttlMs must be > 0, got ${String(init.ttlMs)}`)
    this.maxPeers = init.maxPeers ?? DEFAULT_MAX_PEERS
    this.voter = init.voter ?? true
    this.name = checkDisplayName(init.name, 'name')
    this.role = checkDisplayName(init.role, 'role')
  }

  /** The interval as configured (`intervalMs`, or 5 s when unset), before any stretching. */
  get baseIntervalMs (): number {
    return this.configuredIntervalMs
  }

  /**
   * The interval between this peer's announcements now: `intervalMs` as given, or (unset) 5 s
   * stretched to 1 s per peer in the roster, at most 60 s.
   */
  get intervalMs (): number {
    if (!this.stretched) return this.configuredIntervalMs
    return Math.min(MAX_STRETCHED_PRESENCE_INTERVAL_MS, Math.max(this.configuredIntervalMs, this.roster.size * PRESENCE_INTERVAL_PER_PEER_MS))
  }

  /** How long a peer stays in the roster unheard: `ttlMs` as given, else 3 × {@link intervalMs} + 2 s. */
  get ttlMs (): number {
    return this.fixedTtlMs ?? 3 * this.intervalMs + 2_000
  }

  /** Whether announcements are on (`intervalMs > 0`). */
  get enabled (): boolean {
    return this.configuredIntervalMs > 0
  }

  /** Announce now and then every {@link intervalMs}. */
  start (): void {
    if (!this.enabled || this.timer !== undefined) return
    this.scheduleNext(true)
    void this.announce()
  }

  /**
   * The next periodic announcement. Peers started together would otherwise announce together for
   * good, a burst of N announcements at once: the first period is drawn at random (¼ to 1
   * interval) and each later one varies by ±10 %, so announcements spread out.
   */
  private scheduleNext (first = false): void {
    const interval = this.intervalMs
    const wait = interval * (first ? 0.25 + 0.75 * this.random() : 0.9 + 0.2 * this.random())
    this.timer = this.clock.setTimeout(() => {
      this.expire()
      void this.announce()
      if (this.timer !== undefined) this.scheduleNext()
    }, wait)
  }

  /** Stop announcing and forget the roster (say {@link leave} first to tell the swarm). */
  stop (): void {
    this.clock.clearTimeout(this.timer)
    this.clock.clearTimeout(this.answerTimer)
    this.timer = undefined
    this.answerTimer = undefined
    this.roster.clear()
    this.departed.clear()
    this.own = undefined
    this.farewell = undefined
  }

  /**
   * Stop announcing, and sign and publish one last announcement marked `leaving`, so that every
   * peer drops this one from its roster (and from the default electorate of the next proposal) at
   * once. Resolves when it was handed to the transport, or after `timeoutMs` at most; never rejects.
   * Does nothing when presence is off or was never started.
   */
  async leave (timeoutMs = LEAVE_TIMEOUT_MS): Promise<void> {
    if (!this.enabled || this.timer === undefined) return
    this.halt()
    // later than every announcement already sent or being signed, even within one millisecond of the last
    const body = this.leavingBody(Math.max(Math.floor(this.clock.now()), Math.floor(this.lastAnnouncedAt) + 1))
    this.own = undefined
    let timer: unknown
    const sent = (async () => {
      try {
        const sealed = await sealMessage(this.ctx.identity, body)
        await this.ctx.publish(sealed.bytes)
      } catch (err) {
        this.ctx.log.error('leaving announcement failed - %e', err)
      }
    })()
    const late = new Promise<void>(resolve => { timer = this.clock.setTimeout(resolve, timeoutMs) })
    await Promise.race([sent, late])
    this.clock.clearTimeout(timer)
  }

  /**
   * {@link leave} without waiting for a signature: stop announcing and publish, at once, the leaving
   * announcement signed ahead after the last one (dated just after it, so receivers still take it
   * within their TTL). For a page's `pagehide`, where nothing asynchronous is sure to finish.
   * Returns whether there was one to send (none before the first announcement was signed).
   */
  leaveNow (): boolean {
    if (!this.enabled || this.timer === undefined) return false
    this.halt()
    const farewell = this.own !== undefined && this.farewell?.after === this.own.at ? this.farewell : undefined
    this.own = undefined
    this.farewell = undefined
    if (farewell === undefined) return false
    void this.ctx.publish(farewell.bytes).catch(() => {})
    return true
  }

  private halt (): void {
    this.clock.clearTimeout(this.timer)
    this.clock.clearTimeout(this.answerTimer)
    this.timer = undefined
    this.answerTimer = undefined
  }

  private leavingBody (at: number): PresenceBody {
    return { type: 'presence', v: PROTOCOL_VERSION, ns: this.ctx.namespace, peer: this.ctx.identity.peerId, at, voter: this.voter, leaving: true }
  }

  /** Peers heard from within `ttlMs`, excluding this one; with `{ voters: true }` only those that vote. */
  peers (options: { voters?: boolean } = {}): string[] {
    this.expire()
    const peers: string[] = []
    for (const [peer, entry] of this.roster) if (options.voters !== true || entry.voter) peers.push(peer)
    return peers
  }

  /** What a peer in the roster announced (`undefined` when it is not in the roster). */
  info (peerId: string): PeerInfo | undefined {
    // no full expiry pass here: a caller listing the roster asks once per peer
    const entry = this.roster.get(peerId)
    return entry === undefined || entry.heardAt < this.clock.now() - this.ttlMs ? undefined : infoOf(peerId, entry)
  }

  /** The names announced by the peers in the roster: PeerId → name (peers without a name are left out). */
  names (): Map<string, string> {
    this.expire()
    const names = new Map<string, string>()
    for (const [peer, entry] of this.roster) if (entry.name !== undefined) names.set(peer, entry.name)
    return names
  }

  /** Whether a peer announced that it does not vote (unknown peers are not known not to). */
  isNonVoter (peerId: string): boolean {
    return this.roster.get(peerId)?.voter === false
  }

  /**
   * The signed announcements a newcomer needs to know the swarm at once: ours and every fresh one
   * in the roster, as received (each verifiable by the newcomer, none trusted on our word).
   */
  snapshot (): Uint8Array[] {
    this.expire()
    const cutoff = this.clock.now() - this.ttlMs
    return [...(this.own !== undefined && this.own.at >= cutoff ? [this.own.bytes] : []), ...[...this.roster.values()].map(e => e.bytes)]
  }

  /**
   * A peer subscribed next to us: announce soon (at most once a second, or a quarter interval if
   * longer), so that it, and the peers it relays to, learn about us without waiting a whole interval.
   */
  greet (): void {
    if (!this.enabled || this.timer === undefined || this.answerTimer !== undefined) return
    // while a swarm forms every peer sees newcomer after newcomer: answering each within a second
    // would be ~N announcements a second, each to every peer (newcomers get our roster directly anyway)
    // …but when our last one reached nobody, nobody knows us yet (nor our name): answer at once
    const gap = this.lastAnnouncementHeard ? Math.max(MIN_ANNOUNCE_GAP_MS, this.intervalMs / 4) : 0
    const wait = Math.max(ANSWER_DELAY_MS, this.lastAnnouncedAt + gap - this.clock.now())
    this.answerTimer = this.clock.setTimeout(() => {
      this.answerTimer = undefined
      void this.announce()
    }, wait)
  }

  /** Forget a peer at once (its connection to us closed). */
  forget (peerId: string): void {
    const entry = this.roster.get(peerId)
    if (entry === undefined) return
    this.roster.delete(peerId)
    this.safeDispatchEvent('peer:absent', { detail: { ...infoOf(peerId, entry), reason: 'disconnected' } })
  }

  /**
   * Judge an inbound presence message, already decoded: reject a bad signature or the wrong
   * namespace, ignore what is stale, replayed, from ourselves or beyond the roster's size, and
   * accept (relay) the rest. A `leaving` announcement takes its peer out of the roster, and is
   * accepted (relayed onwards) even where that peer was already gone, so that it crosses the swarm.
   */
  async receive (decoded: DecodedMessage): Promise<Verdict> {
    const body = decoded.opened.body as PresenceBody
    if (body.ns !== this.ctx.namespace) return { result: 'reject', reason: 'wrong-namespace' }
    if (body.peer === this.ctx.identity.peerId) return { result: 'ignore', reason: 'own' }
    const now = this.clock.now()
    if (body.at > now + FUTURE_TOLERANCE_MS || body.at < now - this.ttlMs) return { result: 'ignore', reason: 'stale' }
    const known = this.roster.get(body.peer)
    if (known !== undefined && body.at <= known.at) return { result: 'ignore', reason: 'duplicate' }
    // sent before it left (or the leave itself again): it must not bring the peer back
    const gone = this.departed.get(body.peer)
    if (gone !== undefined && body.at <= gone.at) return { result: 'ignore', reason: 'duplicate' }
    const held = body.leaving === true ? this.departed : this.roster
    if (known === undefined && gone === undefined && held.size >= this.maxPeers) {
      this.expire()
      if (held.size >= this.maxPeers) return { result: 'ignore', reason: 'roster-full' }
    }
    try {
      await verifyMessage(decoded)
    } catch (err) {
      if (err instanceof InvalidMessageError) return { result: 'reject', reason: isRejectReason(err.reason) ? err.reason : 'malformed' }
      throw err
    }
    // re-read: another announcement of the same peer may have been verified meanwhile
    const latest = this.roster.get(body.peer)
    if (latest !== undefined && body.at <= latest.at) return { result: 'ignore', reason: 'duplicate' }
    const departed = this.departed.get(body.peer)
    if (departed !== undefined && body.at <= departed.at) return { result: 'ignore', reason: 'duplicate' }
    if (body.leaving === true) {
      this.departed.set(body.peer, { at: body.at, heardAt: now })
      if (latest !== undefined) {
        this.roster.delete(body.peer)
        this.ctx.log('%s left (%s)', body.peer, latest.name ?? 'no name')
        this.safeDispatchEvent('peer:absent', { detail: { ...infoOf(body.peer, latest), reason: 'left' } })
      }
      return { result: 'accept', reason: 'presence' }
    }
    // back after leaving: a newer announcement than its leave
    if (departed !== undefined) this.departed.delete(body.peer)
    const entry: RosterEntry = { at: body.at, heardAt: now, voter: body.voter, bytes: decoded.opened.bytes }
    if (body.name !== undefined) entry.name = body.name
    if (body.role !== undefined) entry.role = body.role
    this.roster.set(body.peer, entry)
    if (latest === undefined) {
      this.ctx.log('%s is present (%s)', body.peer, body.name ?? 'no name')
      this.safeDispatchEvent('peer:present', { detail: infoOf(body.peer, entry) })
    } else if (latest.name !== entry.name || latest.role !== entry.role || latest.voter !== entry.voter) {
      this.safeDispatchEvent('peer:update', { detail: infoOf(body.peer, entry) })
    }
    return { result: 'accept', reason: 'presence' }
  }

  /** Sign and publish one announcement. Never rejects. */
  async announce (): Promise<void> {
    if (!this.enabled) return
    this.lastAnnouncedAt = this.clock.now()
    try {
      const body: PresenceBody = {
        type: 'presence',
        v: PROTOCOL_VERSION,
        ns: this.ctx.namespace,
        peer: this.ctx.identity.peerId,
        at: Math.floor(this.lastAnnouncedAt),
        voter: this.voter
      }
      // unset: no key at all (one encoding per announcement)
      if (this.name !== undefined) body.name = this.name
      if (this.role !== undefined) body.role = this.role
      const sealed = await sealMessage(this.ctx.identity, body)
      this.own = { at: body.at, bytes: sealed.bytes }
      const heard = this.ctx.publish(sealed.bytes)
      // the leave for leaveNow(), signed while there is time (one signature per interval, never sent unless we leave)
      const farewell = await sealMessage(this.ctx.identity, this.leavingBody(body.at + 1))
      if (this.own?.at === body.at) this.farewell = { after: body.at, bytes: farewell.bytes }
      this.lastAnnouncementHeard = await heard > 0
    } catch (err) {
      this.ctx.log.error('presence announcement failed - %e', err)
    }
  }

  private expire (): void {
    const cutoff = this.clock.now() - this.ttlMs
    for (const [peer, entry] of this.roster) {
      if (entry.heardAt < cutoff) {
        this.roster.delete(peer)
        this.safeDispatchEvent('peer:absent', { detail: { ...infoOf(peer, entry), reason: 'expired' } })
      }
    }
    // past the TTL an announcement from before the leave is stale anyway
    for (const [peer, gone] of this.departed) if (gone.heardAt < cutoff) this.departed.delete(peer)
  }
}
