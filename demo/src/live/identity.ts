/**
 * Who this tab is across a reload: its Ed25519 key (sessionStorage: each tab its own agent, kept by
 * a reload, never shared by two open tabs), the name its user picked (localStorage: every tab of the
 * browser starts with it), and the IndexedDB datastore where its consensus service keeps proposals,
 * votes and decisions, one database per agent.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { IDBDatastore } from 'datastore-idb'

const KEY_ITEM = 'libp2p-consensus-demo:key'
const NAME_ITEM = 'libp2p-consensus-demo:name'

/** The longest name a tab may announce (the names helper's limit is longer; this keeps the lists tidy). */
export const MAX_TAB_NAME = 32

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), c => c.charCodeAt(0))

/** This tab's key: the one a previous load of this tab kept, else a fresh one (kept from now on). */
export async function tabKey (): Promise<PrivateKey> {
  const kept = sessionStorage.getItem(KEY_ITEM)
  if (kept !== null) {
    try {
      return privateKeyFromProtobuf(fromBase64(kept))
    } catch {
      // a damaged entry: start as a new agent
    }
  }
  const key = await generateKeyPair('Ed25519')
  sessionStorage.setItem(KEY_ITEM, toBase64(privateKeyToProtobuf(key)))
  return key
}

/** The peer id of a key. */
export const peerIdOf = (key: PrivateKey): string => peerIdFromPrivateKey(key).toString()

/** The datastore of the agent with this key, opened (its history survives a reload of the tab). */
export async function tabDatastore (key: PrivateKey): Promise<IDBDatastore> {
  // loaded when the live mode starts: the simulation never needs it
  const { IDBDatastore } = await import('datastore-idb')
  const store = new IDBDatastore(`libp2p-consensus-demo/${peerIdOf(key)}`)
  await store.open()
  return store
}

/**
 * A name as a tab may announce it: NFC, without control or bidirectional-control characters (the
 * service refuses those), trimmed, at most {@link MAX_TAB_NAME} characters.
 */
export function cleanName (name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, MAX_TAB_NAME).trim()
}

/** The name this browser's user gave their tabs, or a default made from the peer id. */
export function tabName (peerId: string): string {
  const kept = cleanName(localStorage.getItem(NAME_ITEM) ?? '')
  return kept === '' ? `tab-${peerId.slice(-4).toLowerCase()}` : kept
}

/** Keep the name for this and every later tab (an empty one: back to the default); returns it as kept. */
export function keepTabName (name: string): string {
  const cleaned = cleanName(name)
  if (cleaned === '') localStorage.removeItem(NAME_ITEM)
  else localStorage.setItem(NAME_ITEM, cleaned)
  return cleaned
}
