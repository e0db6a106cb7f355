/**
 * The simulation's words and numbers: the running tally, the decision banner, the decision log and
 * the scenario cards. Everything a test (or a reader) checks is text here, not pixels.
 */
import { escapeXml, formatMs } from '../charts.js'
import type { AgentInfo, ResultSummary } from './protocol.js'

/** `document.getElementById`, typed and checked. */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page has no #${id}`)
  return element as T
}

/** Counted votes of the running tally. */
export interface Counts { for: number, against: number, abstain: number }

/** Update the tally bar and numbers. */
export function renderTally (counts: Counts, electorate: number, threshold: number): void {
  const tally = byId('sim-tally')
  const share = (n: number): string => `${electorate === 0 ? 0 : (100 * n) / electorate}%`
  for (const k of ['for', 'against', 'abstain'] as const) {
    const seg = tally.querySelector<HTMLElement>(`.seg.${k}`)
    if (seg !== null) seg.style.width = share(counts[k])
  }
  const waiting = Math.max(0, electorate - counts.for - counts.against - counts.abstain)
  const values: Record<string, number> = { ...counts, waiting }
  tally.querySelectorAll<HTMLElement>('b[data-k]').forEach(b => { b.textContent = String(values[b.dataset.k ?? ''] ?? 0) })
  const marker = tally.querySelector<HTMLElement>('.threshold')
  if (marker !== null) marker.style.left = `${100 * threshold}%`
  tally.dataset.for = String(counts.for)
  tally.dataset.against = String(counts.against)
  tally.dataset.abstain = String(counts.abstain)
  tally.dataset.waiting = String(waiting)
}

/** How a result's closer is described. */
function closedBy (result: ResultSummary, agents: AgentInfo[]): string {
  if (result.closer === undefined) return ''
  const who = agents[result.closer]?.name ?? `agent ${result.closer}`
  const closed = result.closeRound === 0 ? `closed by the coordinator (${who})` : `closed in round ${result.closeRound ?? '?'} by ${who}`
  const how = result.path === 'fast' ? 'every member prevoted it' : `precommitted by more than 2/3 in round ${result.decidedRound ?? '?'}`
  return `${closed}; ${how}`
}

function counts (result: ResultSummary): string {
  const weighted = result.weightedApproval === undefined ? '' : ` · weighted approval ${(100 * result.weightedApproval).toFixed(1)}%`
  return `${result.votesFor} for · ${result.votesAgainst} against · ${result.votesAbstain} abstain of ${result.participants}${weighted}`
}

/** Show the requester's decision over the picture. */
export function showBanner (result: ResultSummary, agents: AgentInfo[]): void {
  const banner = byId('sim-banner')
  banner.dataset.decision = result.decision
  banner.dataset.cert = result.certificateId ?? ''
  banner.dataset.for = String(result.votesFor)
  banner.dataset.against = String(result.votesAgainst)
  banner.dataset.abstain = String(result.votesAbstain)
  const cert = result.certificateId === undefined
    ? 'no certificate: finality not reached'
    : `certificate <code class="cert">${result.certificateId.slice(0, 16)}…</code>`
  banner.innerHTML = `<div class="decision ${result.decision}">${result.decision.toUpperCase()}</div>` +
    `<div class="detail">${escapeXml(counts(result))} · ${formatMs(result.durationMs)}</div>` +
    `<div class="detail">${escapeXml(closedBy(result, agents))} · ${cert}</div>` +
    '<div class="detail agree"></div>'
}

/** After the proposal settled: how many live agents hold the same certificate. */
export function showAgreement (proposalId: string, agreeing: number, decided: number, live: number): void {
  const text = agreeing === live
    ? `✓ all ${live} live agents hold this certificate`
    : `${agreeing} of ${live} live agents hold this certificate (${decided} decided)`
  const banner = byId('sim-banner')
  banner.dataset.agreeing = String(agreeing)
  banner.dataset.live = String(live)
  const line = banner.querySelector('.agree')
  if (line !== null) line.textContent = text
  const entry = document.querySelector(`#sim-log li[data-proposal="${proposalId}"] .agree`)
  if (entry !== null) entry.textContent = text
}

/** Replace the decision with a line saying what the swarm is doing. */
export function waitingBanner (text: string): void {
  const banner = byId('sim-banner')
  for (const key of Object.keys(banner.dataset)) banner.removeAttribute(`data-${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)
  banner.innerHTML = `<div class="waiting">${escapeXml(text)}</div>`
}

/** Prepend a decision to the log. */
export function logDecision (n: number, title: string, result: ResultSummary, agents: number): void {
  const li = document.createElement('li')
  li.dataset.proposal = result.proposalId
  li.dataset.decision = result.decision
  const certificate = result.certificateId === undefined
    ? ''
    : ` · <code class="cert" title="${result.certificateId}">${result.certificateId.slice(0, 12)}…</code>`
  li.innerHTML = `<div class="line1"><span class="pill ${result.decision}">${result.decision}</span><b>#${n} ${escapeXml(title)}</b>` +
    `<span class="tag">${agents} agents · ${formatMs(result.durationMs)}</span></div>` +
    `<div class="line2">${escapeXml(counts(result))}${certificate}</div>` +
    '<div class="line2 agree"></div>'
  const log = byId('sim-log')
  log.prepend(li)
  while (log.children.length > 60) log.lastElementChild?.remove()
}

/** Add one scenario's outcome card. */
export function scenarioCard (title: string, algorithm: string, coordinator: string, result: ResultSummary, consequence: string): void {
  const box = byId('sim-scenario-results')
  box.hidden = false
  const card = document.createElement('div')
  card.className = 'scenario'
  card.dataset.decision = result.decision
  card.innerHTML = `<div class="line1"><span class="title">${escapeXml(title)}</span> · <span class="pill ${result.decision}">${result.decision}</span></div>` +
    `<div class="tag">${escapeXml(algorithm)} · coordinated by ${escapeXml(coordinator)} · ${escapeXml(counts(result))}</div>` +
    `<div class="consequence">→ ${escapeXml(consequence)}</div>`
  box.append(card)
}

/** Clear the scenario cards. */
export function clearScenarios (): void {
  const box = byId('sim-scenario-results')
  box.innerHTML = '<h3>The seed\'s scenarios</h3>'
  box.hidden = false
}

/** A label for a proposal: algorithm and threshold. */
export function proposalTitle (algorithm: string, threshold: number): string {
  if (algorithm === 'unanimous') return 'unanimous'
  if (algorithm === 'supermajority') return 'supermajority > 2/3'
  return `${algorithm} > ${Math.round(threshold * 100)}%`
}
