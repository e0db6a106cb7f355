/**
 * The simulation's words and numbers: the running tally, the decision banner, the decision log and
 * the scenario cards. Everything a test (or a reader) checks is text here, not pixels.
 */
import { choiceMark, describeBallot, type Mark } from '../ballots.js'
import type { Ballot } from '../../../src/index.js'
import { choiceBars, escapeXml, formatMs, runoffChart } from '../charts.js'
import type { AgentInfo, BallotSummary, ResultSummary } from './protocol.js'

/** `document.getElementById`, typed and checked. */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page has no #${id}`)
  return element as T
}

/** Counted votes of the running tally; on a proposal with choices, ballots by first choice too (`c1`, …). */
export type Counts = { for: number, against: number, abstain: number } & Partial<Record<Mark, number>>

/** The running tally of a proposal with choices: ballots by first choice, abstentions, who is still to vote. */
export function renderChoiceTally (counts: Counts, choices: string[], electorate: number): void {
  const tally = byId('sim-choice-tally')
  const share = (n: number): string => `${electorate === 0 ? 0 : (100 * n) / electorate}%`
  const by = choices.map((_, i) => counts[choiceMark(i + 1)] ?? 0)
  const ballots = by.reduce((a, b) => a + b, 0)
  const waiting = Math.max(0, electorate - ballots - counts.abstain)
  const segments = by.map((n, i) => `<span class="seg ${choiceMark(i + 1)}" style="width:${share(n)}"></span>`).join('')
  const nums = choices.map((name, i) =>
    `<span class="num" data-choice="${i + 1}"><b>${by[i] ?? 0}</b><i class="sw ${choiceMark(i + 1)}"></i> ${escapeXml(name)}</span>`)
  tally.innerHTML = `<div class="tally-bar">${segments}<span class="seg abstain" style="width:${share(counts.abstain)}"></span></div>` +
    `<div class="tally-nums">${nums.join('')}<span class="num abstain"><b>${counts.abstain}</b> abstain</span>` +
    `<span class="num waiting"><b>${waiting}</b> waiting</span><span class="grow"></span>` +
    '<span class="meta">first choices, as the coordinator counts them</span></div>'
  tally.dataset.ballots = String(ballots)
  tally.dataset.abstain = String(counts.abstain)
  tally.dataset.waiting = String(waiting)
}

/** Show which tally the running proposal uses: for/against/abstain, or ballots by first choice. */
export function useChoiceTally (choices: boolean): void {
  byId('sim-tally').classList.toggle('is-hidden', choices)
  byId('sim-choice-tally').classList.toggle('is-hidden', !choices)
}

/** The legend's choice swatches (none on a yes/no proposal). */
export function choiceLegend (choices: string[]): void {
  byId('sim-choice-legend').innerHTML = choices.map((name, i) => `<span><i class="sw ${choiceMark(i + 1)}"></i>${escapeXml(name)}</span>`).join('')
}

/** Said when the winner only leads on the tie-break (the lower index wins a tie at the top, as the default rule pins). */
function tieNote ({ scores, winner }: BallotSummary): string {
  if (winner === null) return ''
  const top = scores[winner - 1]
  const tied = scores.filter((s, i) => i !== winner - 1 && s === top).length
  return tied === 0 ? '' : ' <span class="tag">tied at the top: the lower index wins</span>'
}

/** The result of a proposal with choices: the winner, a bar per choice, and for ranked-choice the runoff's rounds. */
export function showBallotResult (n: number, ballots: BallotSummary, cast: Map<number, Ballot>, agents: AgentInfo[]): void {
  const box = byId('sim-ballot-result')
  box.hidden = false
  box.dataset.votingType = ballots.votingType
  box.dataset.winner = String(ballots.winner ?? '')
  box.dataset.scores = JSON.stringify(ballots.scores)
  box.dataset.ranking = JSON.stringify(ballots.ranking)
  box.dataset.rounds = String(ballots.rounds?.length ?? 0)
  byId('sim-ballot-type').textContent = `#${n} · ${ballots.votingType} · ${ballots.scoresTotal} of ${ballots.turnout} ballots name a choice`
  const winner = byId('sim-winner')
  winner.dataset.winner = String(ballots.winner ?? '')
  winner.innerHTML = ballots.winner === null
    ? 'No winner <span class="tag">(a tie left unbroken, or a quorum or threshold missed)</span>'
    : `Winner: <span class="name">${escapeXml(ballots.choices[ballots.winner - 1] ?? `#${ballots.winner}`)}</span>${tieNote(ballots)}`
  byId('sim-choice-bars').innerHTML = choiceBars(ballots.choices, ballots.scores, ballots.winner, ballots.ranking)
  byId('sim-runoff-box').hidden = ballots.rounds === undefined
  byId('sim-runoff').innerHTML = ballots.rounds === undefined ? '' : runoffChart(ballots.choices, ballots.rounds)
  // the ballots as cast (a closer counts those that reached it in time): anyone can recount them
  byId('sim-ballots').innerHTML = [...cast.entries()].sort(([a], [b]) => a - b).map(([agent, ballot]) =>
    `<li data-agent="${agent}" data-ballot="${escapeXml(JSON.stringify(ballot))}">${escapeXml(agents[agent]?.name ?? `agent-${agent}`)}: ` +
    `<b>${escapeXml(describeBallot(ballot, ballots.choices))}</b></li>`).join('')
}

/** After the decision, how the closer's count splits: what its certificate counted and what reached it after its close. */
export interface TallySplit {
  /** the certificate's counts; `undefined` before the decision */
  certified: Counts | undefined
  /** votes that reached the closer after its close left */
  late: Counts
}

const KINDS = ['for', 'against', 'abstain'] as const
const sumOf = (c: Counts): number => c.for + c.against + c.abstain

/**
 * Update the tally bar and numbers. The numbers (and `data-for` …) are every vote the closer in view
 * holds; the bar draws what was counted before the close solid and what came after it hatched, and
 * once the decision is in, a line under it says which is which.
 */
export function renderTally (counts: Counts, electorate: number, threshold: number, split?: TallySplit): void {
  const tally = byId('sim-tally')
  const share = (n: number): string => `${electorate === 0 ? 0 : (100 * n) / electorate}%`
  const late = split?.late ?? { for: 0, against: 0, abstain: 0 }
  const bar = tally.querySelector<HTMLElement>('.tally-bar')
  for (const k of KINDS) {
    const seg = tally.querySelector<HTMLElement>(`.seg.${k}:not(.late)`)
    if (seg !== null) seg.style.width = share(split?.certified?.[k] ?? Math.max(0, counts[k] - late[k]))
    let after = tally.querySelector<HTMLElement>(`.seg.late.${k}`)
    if (after === null && bar !== null) {
      after = document.createElement('span')
      after.className = `seg late ${k}`
      after.title = `${k}: reached the closer after its close, in no certificate`
      // after the three counted segments, before the threshold mark
      bar.insertBefore(after, bar.querySelector('.threshold'))
    }
    if (after !== null) after.style.width = share(late[k])
  }
  const note = splitNote(tally)
  const certified = split?.certified
  if (certified === undefined) {
    note.hidden = true
    note.textContent = ''
  } else {
    note.hidden = false
    note.textContent = `the certificate counted ${certified.for} for · ${certified.against} against · ${certified.abstain} abstain` +
      (sumOf(late) === 0
        ? ''
        : ` — then ${sumOf(late)} more reached the closer after its close (hatched: ${late.for} for · ${late.against} against · ` +
          `${late.abstain} abstain), counted by no one`)
  }
  for (const k of KINDS) {
    tally.dataset[`certified${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`] = certified === undefined ? '' : String(certified[k])
    tally.dataset[`late${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`] = String(late[k])
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

function splitNote (tally: HTMLElement): HTMLElement {
  let note = tally.querySelector<HTMLElement>('.tally-split')
  if (note === null) {
    note = document.createElement('div')
    note.className = 'tally-split meta'
    tally.append(note)
  }
  return note
}

/** The banner's line on votes that came after the close (updated while they keep arriving). */
export function lateLine (late: Counts): void {
  const banner = byId('sim-banner')
  const line = banner.querySelector('.late')
  if (line === null) return
  const n = sumOf(late)
  banner.dataset.late = String(n)
  line.textContent = n === 0
    ? 'every vote the closer holds is in the certificate'
    : `+ ${n} vote${n === 1 ? '' : 's'} reached the closer after its close ` +
      `(${late.for} for · ${late.against} against · ${late.abstain} abstain): in no certificate`
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
  const b = result.ballots
  if (b !== undefined) {
    const winner = b.winner === null ? 'no winner' : `winner ${b.choices[b.winner - 1] ?? b.winner}`
    return `${b.votingType} · ${winner} · ${result.votesFor} ballots · ${result.votesAbstain} abstain of ${result.participants}`
  }
  const weighted = result.weightedApproval === undefined ? '' : ` · weighted approval ${(100 * result.weightedApproval).toFixed(1)}%`
  return `${result.votesFor} for · ${result.votesAgainst} against · ${result.votesAbstain} abstain of ${result.participants}${weighted}`
}

/** The headline counts: the certificate's, said to be so. */
function certifiedCounts (result: ResultSummary): string {
  return result.ballots === undefined ? `counted in the certificate: ${counts(result)}` : counts(result)
}

/** Show the requester's decision over the picture. */
export function showBanner (result: ResultSummary, agents: AgentInfo[]): void {
  const banner = byId('sim-banner')
  banner.dataset.decision = result.decision
  banner.dataset.cert = result.certificateId ?? ''
  banner.dataset.for = String(result.votesFor)
  banner.dataset.against = String(result.votesAgainst)
  banner.dataset.abstain = String(result.votesAbstain)
  if (result.ballots !== undefined) banner.dataset.winner = String(result.ballots.winner ?? '')
  const cert = result.certificateId === undefined
    ? 'no certificate: finality not reached'
    : `certificate <code class="cert">${result.certificateId.slice(0, 16)}…</code>`
  const won = result.ballots?.winner
  const headline = won === undefined || won === null
    ? result.decision.toUpperCase()
    : `${escapeXml((result.ballots?.choices[won - 1] ?? String(won)).toUpperCase())} WINS`
  banner.innerHTML = `<div class="decision ${result.decision}">${headline}</div>` +
    `<div class="detail">${escapeXml(certifiedCounts(result))} · ${formatMs(result.durationMs)} of virtual time</div>` +
    `<div class="detail">${escapeXml(closedBy(result, agents))} · ${cert}</div>` +
    (result.ballots === undefined ? '<div class="detail late"></div>' : '') +
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
export function scenarioCard (index: number, title: string, algorithm: string, coordinator: string, result: ResultSummary, consequence: string): void {
  const box = byId('sim-scenario-results')
  box.hidden = false
  const card = document.createElement('div')
  card.className = 'scenario'
  card.dataset.scenario = String(index)
  card.dataset.decision = result.decision
  card.dataset.for = String(result.votesFor)
  card.dataset.against = String(result.votesAgainst)
  card.dataset.abstain = String(result.votesAbstain)
  if (result.weightedApproval !== undefined) card.dataset.weightedApproval = String(result.weightedApproval)
  card.innerHTML = `<div class="line1"><span class="title">${escapeXml(title)}</span> · <span class="pill ${result.decision}">${result.decision}</span></div>` +
    `<div class="tag">${escapeXml(algorithm)} · coordinated by ${escapeXml(coordinator)} · ${escapeXml(certifiedCounts(result))}</div>` +
    `<div class="consequence">→ ${escapeXml(consequence)}</div>` +
    '<div class="tag counted-note"></div>'
  box.append(card)
}

/**
 * Once every vote is in: say what the close left out. A coordinator closes as soon as no vote still
 * out can change the outcome, so the certificate may count fewer votes than were cast — and `npm run
 * scenarios`, whose six loopback peers vote within a millisecond of each other, usually counts all.
 */
export function scenarioCounted (index: number, result: ResultSummary, late: Counts): void {
  const note = document.querySelector<HTMLElement>(`#sim-scenario-results .scenario[data-scenario="${index}"] .counted-note`)
  if (note === null) return
  const n = sumOf(late)
  note.parentElement?.setAttribute('data-late', String(n))
  const counted = result.votesFor + result.votesAgainst + result.votesAbstain
  note.textContent = n === 0
    ? `all ${counted} votes cast reached the closer before its close`
    : `the coordinator closed after ${counted} votes, once the ones still out could no longer change the outcome; ` +
      `${n} more (${late.for} for · ${late.against} against · ${late.abstain} abstain) came after, in no certificate. ` +
      '(npm run scenarios runs the same personas on real peers whose votes land within a millisecond, so its close usually counts them all.)'
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
