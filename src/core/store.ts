import type { Datastore, Key } from 'interface-datastore'
import type { AnyOpened } from '../wire/envelope.js'

/** Order in which a proposal's messages are replayed: own vote and ack are known before any close. */
const TYPE_ORDER: Record<string, string> = { proposal: '0', vote: '1', ack: '2', close: '3' }

// `interface-datastore`'s `Key`, loaded on first use: only a manager given a datastore needs it, and
// it brings `uint8arrays`' every base (multiformats, ~18 KB minified) into a browser bundle, where a
// bundler splits a dynamic import into its own chunk. An app that passes a datastore has that
// package already (every datastore implementation depends on it).
let keyClass: typeof Key | undefined
let keyLoading: Promise<typeof Key> | undefined

/**
 * Load `interface-datastore`'s `Key` now. A virtual-time simulation calls this before time starts:
 * a first save that waits for a real import would otherwise land at a different point of virtual
 * time than every later one.
 */
export async function loadKey (): Promise<typeof Key> {
  keyLoading ??= import('interface-datastore').then(m => { keyClass = m.Key; return m.Key })
  return keyClass ?? keyLoading
}

/**
 * Every verified envelope of every proposal, kept in the `interface-datastore` the manager was
 * given (`datastore-level` in Node, `datastore-idb` in a browser), so that a restarted peer replays
 * them, re-verifies them, and resumes: same state, same own vote and ack, same decisions and
 * statistics. Keys: `/libp2p-consensus/<namespace>/<proposal id>/<order>-<type>/<message id>`.
 *
 * Without a datastore nothing is written: the messages a proposal's round holds in memory are the
 * only copy (an in-memory datastore would only duplicate them: a restarted process could not reach
 * it to replay it).
 */
export class ProposalStore {
  private readonly datastore: Datastore | undefined
  private readonly prefix: string
  /** where the newest `createdAt` of a forgotten proposal is kept (outside `prefix`) */
  private readonly forgottenKey: string
  private forgotten = -Infinity

  /**
   * The newest `createdAt` among the proposals this store dropped ({@link forget}), this run or —
   * once {@link loadForgotten} ran — before a restart (`-Infinity` if none): a proposal that old
   * which the store does not hold may be one this peer voted or acked on and no longer remembers.
   */
  get forgottenUpTo (): number {
    return this.forgotten
  }

  constructor (datastore: Datastore | undefined, namespace: string) {
    this.datastore = datastore
    this.prefix = `/libp2p-consensus/${encodeURIComponent(namespace)}`
    this.forgottenKey = `/libp2p-consensus-forgotten/${encodeURIComponent(namespace)}`
  }

  /** Read {@link forgottenUpTo} as a previous run stored it (call once, before replaying). */
  async loadForgotten (): Promise<void> {
    if (this.datastore === undefined) return
    const KeyClass = keyClass ?? await loadKey()
    try {
      const stored = Number(new TextDecoder().decode(await this.datastore.get(new KeyClass(this.forgottenKey))))
      if (Number.isFinite(stored) && stored > this.forgotten) this.forgotten = stored
    } catch {
      // nothing forgotten yet (NotFoundError)
    }
  }

  /** Keep one verified message of a proposal (idempotent: the key is its content id). */
  /** Whether there is a datastore to keep messages in (without one, {@link save} does nothing). */
  get persistent (): boolean {
    return this.datastore !== undefined
  }

  async save (proposalKey: string, message: AnyOpened): Promise<void> {
    if (this.datastore === undefined) return
    const key = this.keyOf(keyClass ?? await loadKey(), proposalKey, message)
    if (key !== undefined) await this.datastore.put(key, message.bytes)
  }

  /**
   * Drop a proposal's messages (those given: every message saved for it is one the proposal's round
   * holds), so that the store stays as bounded as memory: what is evicted from memory is not
   * replayed after a restart either.
   */
  async forget (proposalKey: string, messages: Iterable<AnyOpened>, createdAt: number): Promise<void> {
    // raised at once (synchronously): from now on such a proposal is one we may have forgotten
    const raised = createdAt > this.forgotten
    if (raised) this.forgotten = createdAt
    if (this.datastore === undefined) return
    const KeyClass = keyClass ?? await loadKey()
    const batch = this.datastore.batch()
    for (const message of messages) {
      const key = this.keyOf(KeyClass, proposalKey, message)
      if (key !== undefined) batch.delete(key)
    }
    // in the same batch: a restart must know how far back it may have signed and forgotten
    if (raised) batch.put(new KeyClass(this.forgottenKey), new TextEncoder().encode(String(createdAt)))
    await batch.commit()
  }

  private keyOf (KeyClass: typeof Key, proposalKey: string, message: AnyOpened): Key | undefined {
    const order = TYPE_ORDER[message.body.type]
    if (order === undefined) return undefined
    return new KeyClass(`${this.prefix}/${proposalKey}/${order}-${message.body.type}/${message.key}`)
  }

  /**
   * Every stored proposal with its messages, the proposal first, then votes, acks and closes.
   * Messages are returned as bytes: the caller opens (verifies) them again.
   */
  async * load (): AsyncGenerator<{ proposalKey: string, messages: Uint8Array[] }> {
    if (this.datastore === undefined) return
    // the manager loads before it takes any message: `Key` is ready by the first save, so saving
    // never waits on a module load (its real-time delay would make seeded simulations differ)
    await loadKey()
    const byProposal = new Map<string, Array<{ sortKey: string, bytes: Uint8Array }>>()
    for await (const { key, value } of this.datastore.query({ prefix: this.prefix })) {
      const [proposalKey, kind, id] = key.toString().slice(this.prefix.length + 1).split('/')
      if (proposalKey === undefined || kind === undefined || id === undefined) continue
      const list = byProposal.get(proposalKey) ?? []
      list.push({ sortKey: `${kind}/${id}`, bytes: value })
      byProposal.set(proposalKey, list)
    }
    for (const [proposalKey, list] of byProposal) {
      list.sort((a, b) => a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0)
      yield { proposalKey, messages: list.map(m => m.bytes) }
    }
  }
}
