/**
 * The decisions this tab has seen, kept in its IndexedDB datastore beside what the consensus
 * service stores, so the list (and every certificate in it) is back after a reload. A decision is
 * kept with its certificate's canonical bytes; reading them back decodes them again, and the
 * certificate view re-verifies them before it shows a tick.
 */
import type { Datastore, Key } from 'interface-datastore'
import { decodeCertificate, encodeCertificate, type CborRecord, type ConsensusResult } from '../../../src/index.js'

const PREFIX = '/libp2p-consensus-demo/decisions'
/** How many decisions the tab keeps (the oldest go first). */
export const MAX_KEPT_DECISIONS = 200

/** A decision as the list shows it. */
export interface KeptDecision {
  result: ConsensusResult
  /** the proposal's payload and coordinator, when this tab saw the proposal */
  payload?: CborRecord
  coordinator?: string
  /** when this tab learnt the decision (ms since the epoch) */
  decidedAt: number
}

interface Stored {
  result: Omit<ConsensusResult, 'certificate'>
  certificate?: { id: string, bytes: string }
  payload?: CborRecord
  coordinator?: string
  decidedAt: number
}

const toBase64 = (bytes: Uint8Array): string => {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), c => c.charCodeAt(0))

/** The tab's kept decisions. */
export class DecisionHistory {
  constructor (private readonly datastore: Datastore | undefined) {}

  /** Keep one decision (a second keep of the same proposal replaces it). */
  async keep (kept: KeptDecision): Promise<void> {
    if (this.datastore === undefined) return
    const { certificate, ...result } = kept.result
    const stored: Stored = {
      result,
      decidedAt: kept.decidedAt,
      ...(certificate === undefined ? {} : { certificate: { id: certificate.id, bytes: toBase64(encodeCertificate(certificate)) } }),
      ...(kept.payload === undefined ? {} : { payload: kept.payload }),
      ...(kept.coordinator === undefined ? {} : { coordinator: kept.coordinator })
    }
    const { Key } = await import('interface-datastore')
    await this.datastore.put(new Key(`${PREFIX}/${kept.result.proposalId}`), new TextEncoder().encode(JSON.stringify(stored)))
  }

  /** Every kept decision, oldest first; the ones past {@link MAX_KEPT_DECISIONS} are dropped. */
  async load (): Promise<KeptDecision[]> {
    if (this.datastore === undefined) return []
    const kept: Array<KeptDecision & { key: Key }> = []
    for await (const { key, value } of this.datastore.query({ prefix: PREFIX })) {
      try {
        const stored = JSON.parse(new TextDecoder().decode(value)) as Stored
        const result: ConsensusResult = { ...stored.result }
        if (stored.certificate !== undefined) result.certificate = { ...decodeCertificate(fromBase64(stored.certificate.bytes)), id: stored.certificate.id }
        kept.push({
          key,
          result,
          decidedAt: stored.decidedAt,
          ...(stored.payload === undefined ? {} : { payload: stored.payload }),
          ...(stored.coordinator === undefined ? {} : { coordinator: stored.coordinator })
        })
      } catch {
        // a damaged entry: not shown
      }
    }
    kept.sort((a, b) => a.decidedAt - b.decidedAt)
    const drop = kept.splice(0, Math.max(0, kept.length - MAX_KEPT_DECISIONS))
    for (const { key } of drop) await this.datastore.delete(key)
    return kept.map(({ key: _key, ...rest }) => rest)
  }
}
