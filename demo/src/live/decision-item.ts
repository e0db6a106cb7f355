/**
 * One decision in the live list: the proposal's title, the outcome, the count, the winner and its
 * bars over choices, who proposed it, and the certificate id with a button to see it checked.
 */
import { choiceBars, escapeXml, formatMs } from '../charts.js'
import { choiceMark } from '../ballots.js'
import { titleOf } from './proposal-text.js'
import type { KeptDecision } from './history.js'

/** The list item of a decision (its `data-*` attributes carry what a test or a script reads). */
export function renderDecision (kept: KeptDecision, nameOf: (id: string) => string): HTMLLIElement {
  const { result } = kept
  const li = document.createElement('li')
  li.className = 'decision-item'
  li.dataset.proposal = result.proposalId
  li.dataset.decision = result.decision
  li.dataset.cert = result.certificate?.id ?? ''
  li.dataset.for = String(result.votesFor)
  li.dataset.against = String(result.votesAgainst)
  li.dataset.abstain = String(result.votesAbstain)
  const choices = result.choices ?? []
  if (choices.length > 0) li.dataset.winner = String(result.winner ?? '')
  // a decision whose proposal this tab never saw came with the proofs a peer sends a newcomer
  const by = kept.coordinator === undefined ? ' · caught up on joining' : ` · by ${escapeXml(nameOf(kept.coordinator))}`
  const title = kept.payload === undefined ? `proposal ${result.proposalId.slice(0, 10)}…` : titleOf(kept.payload)
  const counted = choices.length > 0
    ? `${result.votesFor} ballots · ${result.votesAbstain} abstain of ${result.participants.length}`
    : `${result.votesFor} for · ${result.votesAgainst} against · ${result.votesAbstain} abstain of ${result.participants.length}`
  const winner = result.winner === undefined
    ? ''
    : result.winner === null
      ? '<span class="tag">no winner</span>'
      : `<span class="winner-line">winner: <span class="name" style="color:var(--${choiceMark(result.winner)})">` +
        `${escapeXml(choices[result.winner - 1] ?? String(result.winner))}</span></span>`
  const bars = choices.length === 0
    ? ''
    : `<div class="live-bars chart">${choiceBars(choices, result.scores ?? [], result.winner ?? null, result.ranking ?? [])}</div>`
  const when = new Date(kept.decidedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  li.innerHTML = `<div class="line1"><span class="pill ${result.decision}">${result.decision}</span><b class="title">${escapeXml(title)}</b>` +
    `${winner}<span class="tag">${counted} · ${escapeXml(result.algorithmUsed)} · ${formatMs(result.durationMs)}${by} · ${when}</span></div>` + bars +
    `<div class="line2">certificate <code class="cert" title="${result.certificate?.id ?? ''}">` +
    `${result.certificate?.id ?? 'none (finality not reached)'}</code>` +
    (result.certificate === undefined ? '' : ' <button class="show-cert" type="button">Certificate ✓</button>') + '</div>'
  return li
}
