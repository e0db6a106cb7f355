/**
 * What `npm start` tells the page about the hubs it started (served as `/hub.json` by the dev
 * server), and how the page finds hubs: `?hub=` of the URL first, then `hub.json`.
 *
 * `?hub=` takes several hubs, comma-separated (`?hub=/ip4/…/p2p/A,/ip4/…/p2p/B`) or repeated
 * (`?hub=…&hub=…`): the tab dials them all and keeps working while any one of them is up.
 */

/** A Node agent started next to the hub. */
export interface NodeAgentInfo {
  peerId: string
  name: string
  /** how it votes, in words */
  opinion: string
}

/** The body of `/hub.json`. */
export interface HubInfo {
  /** multiaddrs ending in /p2p/<hub peer id>, one per hub */
  hubs: string[]
  agents: NodeAgentInfo[]
}

/** The hubs of a `?hub=` value or a typed list: split at commas and whitespace, empty parts dropped. */
export function splitHubs (text: string): string[] {
  return text.split(/[\s,]+/).map(h => h.trim()).filter(h => h !== '')
}

/** The hubs to join: `?hub=` of the page's URL (several allowed), else the dev server's `hub.json`, else none. */
export async function findHubs (): Promise<HubInfo | undefined> {
  const fromUrl = new URLSearchParams(location.search).getAll('hub').flatMap(splitHubs)
  if (fromUrl.length > 0) return { hubs: [...new Set(fromUrl)], agents: [] }
  try {
    const response = await fetch('hub.json', { cache: 'no-store' })
    if (!response.ok) return undefined
    const info = await response.json() as Partial<HubInfo> & { hub?: unknown }
    // an older server sent one `hub`
    const hubs = Array.isArray(info?.hubs) ? info.hubs.filter((h): h is string => typeof h === 'string') : typeof info?.hub === 'string' ? [info.hub] : []
    return hubs.length === 0 ? undefined : { hubs, agents: Array.isArray(info.agents) ? info.agents : [] }
  } catch {
    return undefined
  }
}

/** The peer id a hub address ends in. */
export function hubPeerId (addr: string): string {
  return addr.split('/p2p/').at(-1) ?? ''
}
