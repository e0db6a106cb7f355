/**
 * What `npm start` tells the page about the hub it started (served as `/hub.json` by the dev
 * server), and how the page finds a hub: `?hub=<multiaddr>` first, then `hub.json`.
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
  /** a multiaddr ending in /p2p/<hub peer id> */
  hub: string
  agents: NodeAgentInfo[]
}

/** The hub to join: `?hub=` of the page's URL, else the dev server's `hub.json`, else none. */
export async function findHub (): Promise<HubInfo | undefined> {
  const fromUrl = new URLSearchParams(location.search).get('hub')
  if (fromUrl !== null && fromUrl.length > 0) return { hub: fromUrl, agents: [] }
  try {
    const response = await fetch('hub.json', { cache: 'no-store' })
    if (!response.ok) return undefined
    const info = await response.json() as HubInfo
    return typeof info?.hub === 'string' ? { hub: info.hub, agents: Array.isArray(info.agents) ? info.agents : [] } : undefined
  } catch {
    return undefined
  }
}
