/**
 * The certificate of a decision, checked in the page: every signed message it carries opened on its
 * own (a tick per signature: the proposal, each vote, the close, each ack), then the whole
 * recomputed by the library's `verifyCertificate` (the tally follows from the counted votes, the
 * close is by the right closer, the acks make it final). The same check runs on a file dropped into
 * the page: nothing is fetched, so it works offline.
 */
import { decodeCertificate, encodeCertificate, verifyCertificate, type Certificate, type CborRecord, type VerifiedCertificate } from '../../../src/index.js'
import { idToString, openMessage, type AnyOpened } from '../../../src/wire/index.js'
import { describeBallot } from '../ballots.js'
import { escapeXml } from '../charts.js'
import { titleOf, descriptionOf } from './proposal-text.js'

/** One signed message of a certificate, opened on its own. */
export interface CheckedPart {
  kind: 'proposal' | 'vote' | 'close' | 'ack'
  /** who signed it (the peer id the message names), when it could be read */
  signer?: string
  /** whether its encoding and signature check */
  ok: boolean
  /** why not */
  problem?: string
  /** what it says, in words (a vote's ballot, an ack's phase and round) */
  says?: string
  /** a vote the decision counts (a vote carried only as evidence, or replaced by a later one, is not) */
  counted?: boolean
}

/** What the page found in a certificate. */
export interface CertificateCheck {
  parts: CheckedPart[]
  /** what `verifyCertificate` recomputed; absent when it refused the certificate */
  verified?: VerifiedCertificate
  /** why the certificate does not prove a decision (from `verifyCertificate`, or the decoder) */
  problem?: string
  payload?: CborRecord
  choices: string[]
}

const reasonOf = (err: unknown): string => {
  const e = err as { reason?: string, message?: string }
  return e.reason === undefined ? String(e.message ?? err) : `${e.reason}: ${e.message ?? ''}`
}

async function openPart (kind: CheckedPart['kind'], bytes: Uint8Array): Promise<{ part: CheckedPart, opened?: AnyOpened }> {
  try {
    const opened = await openMessage(bytes)
    if (opened.body.type !== kind) return { part: { kind, ok: false, problem: `a ${opened.body.type} where a ${kind} belongs` } }
    const body = opened.body
    const signer = body.type === 'proposal'
      ? body.coordinator
      : body.type === 'vote' ? body.voter : body.type === 'close' ? body.closer : body.type === 'ack' ? body.signer : undefined
    return { part: { kind, ok: true, ...(signer === undefined ? {} : { signer }) }, opened }
  } catch (err) {
    return { part: { kind, ok: false, problem: reasonOf(err) } }
  }
}

/** Check a certificate: each signature on its own, then the whole decision. */
export async function checkCertificate (certificate: Certificate): Promise<CertificateCheck> {
  const parts: CheckedPart[] = []
  const proposal = await openPart('proposal', certificate.proposal)
  parts.push(proposal.part)
  const body = proposal.opened?.body.type === 'proposal' ? proposal.opened.body : undefined
  const choices = body?.choices ?? []
  const votes = await Promise.all(certificate.votes.map(async bytes => openPart('vote', bytes)))
  const close = await openPart('close', certificate.close)
  const acks = await Promise.all(certificate.acks.map(async bytes => openPart('ack', bytes)))
  const closeBody = close.opened?.body.type === 'close' ? close.opened.body : undefined
  const countedIds = new Set((closeBody?.votes ?? []).map(id => idToString(id)))
  for (const { part, opened } of votes) {
    if (opened?.body.type === 'vote') {
      part.says = describeBallot(opened.body.choice, choices) + (opened.body.seq > 0 ? ` (change ${opened.body.seq})` : '')
      part.counted = countedIds.has(opened.key)
    }
    parts.push(part)
  }
  if (closeBody !== undefined) close.part.says = `${closeBody.decision} in round ${closeBody.round}`
  parts.push(close.part)
  for (const { part, opened } of acks) {
    if (opened?.body.type === 'ack') part.says = `${opened.body.phase} · round ${opened.body.round}`
    parts.push(part)
  }
  const check: CertificateCheck = { parts, choices, ...(body === undefined ? {} : { payload: body.payload }) }
  try {
    check.verified = await verifyCertificate(certificate)
  } catch (err) {
    check.problem = reasonOf(err)
  }
  return check
}

/** Check a certificate file (the bytes `downloadCertificate` writes). */
export async function checkCertificateFile (bytes: Uint8Array): Promise<CertificateCheck> {
  let certificate: Certificate
  try {
    certificate = decodeCertificate(bytes)
  } catch (err) {
    return { parts: [], choices: [], problem: `not a certificate: ${reasonOf(err)}` }
  }
  return checkCertificate(certificate)
}

/** The file name of a certificate: its id's first characters, `.cbor` (its canonical CBOR encoding). */
export const certificateFileName = (id: string): string => `certificate-${id.slice(0, 12)}.cbor`

/** Save a certificate as a file: its canonical CBOR bytes, which `verifyCertificate` reads back in any Node or browser. */
export function downloadCertificate (certificate: Certificate, id: string): void {
  const url = URL.createObjectURL(new Blob([encodeCertificate(certificate) as Uint8Array<ArrayBuffer>], { type: 'application/cbor' }))
  const link = document.createElement('a')
  link.href = url
  link.download = certificateFileName(id)
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => { URL.revokeObjectURL(url) }, 10_000)
}

const tick = (ok: boolean): string => `<span class="tick ${ok ? 'ok' : 'bad'}" aria-label="${ok ? 'verified' : 'fails'}">${ok ? '✓' : '✗'}</span>`

/** The check as a page section: the verdict, the proposal, counted votes, the close and its closer, the acks. */
export function renderCertificateCheck (check: CertificateCheck, nameOf: (id: string) => string, source: string): string {
  const v = check.verified
  const who = (id: string | undefined): string => id === undefined
    ? '<i>unreadable</i>'
    : `<span class="who" title="${escapeXml(id)}">${escapeXml(nameOf(id))}</span>`
  const row = (p: CheckedPart, extra = ''): string =>
    `<li class="part ${p.ok ? 'ok' : 'bad'}" data-kind="${p.kind}" data-ok="${String(p.ok)}">${tick(p.ok)} ${who(p.signer)}` +
    `${p.says === undefined ? '' : ` <span class="says">${escapeXml(p.says)}</span>`}${extra}` +
    `${p.problem === undefined ? '' : ` <span class="problem">${escapeXml(p.problem)}</span>`}</li>`
  const payload = check.payload
  const title = payload === undefined ? 'unreadable proposal' : titleOf(payload)
  const description = payload === undefined ? '' : descriptionOf(payload)
  const verdict = v === undefined
    ? `<div class="verdict bad" data-verified="false">${tick(false)} <b>Does not prove a decision</b>` +
      `<div class="reason">${escapeXml(check.problem ?? '')}</div></div>`
    : `<div class="verdict ok" data-verified="true">${tick(true)} <b>Verified in this page</b> — <span class="pill ${v.decision}">${v.decision}</span>` +
      `${v.winner > 0 ? ` · winner <b>${escapeXml(check.choices[v.winner - 1] ?? String(v.winner))}</b>` : ''}` +
      `<div class="reason">${Object.keys(v.votes).length} counted vote(s); acks of ${v.ackWeight} of ${v.totalWeight} weight ` +
      `(${v.path === 'fast' ? 'every member prevoted in round 0' : `precommits of more than ⅔ in round ${v.decidedRound}`})</div></div>`
  const proposal = check.parts.filter(p => p.kind === 'proposal')
  const votes = check.parts.filter(p => p.kind === 'vote')
  const closes = check.parts.filter(p => p.kind === 'close')
  const acks = check.parts.filter(p => p.kind === 'ack')
  const counted = (p: CheckedPart): string => p.ok && p.counted === false ? ' <span class="tag">carried, not counted</span>' : ''
  return `<div class="cert-view" data-cert="${escapeXml(v?.certificateId ?? '')}">` +
    `<div class="cert-source tag">${escapeXml(source)}</div>` +
    `<h2 class="cert-title">${escapeXml(title)}</h2>${description === '' ? '' : `<p class="desc">${escapeXml(description)}</p>`}` +
    verdict +
    `<h3>Proposal <small>signed by its coordinator</small></h3><ul class="parts">${proposal.map(p => row(p)).join('')}</ul>` +
    `<h3>Votes <small>${votes.filter(p => p.counted === true).length} counted</small></h3>` +
    `<ul class="parts">${votes.map(p => row(p, counted(p))).join('')}</ul>` +
    `<h3>Close <small>the closer's signed outcome</small></h3><ul class="parts">${closes.map(p => row(p)).join('')}</ul>` +
    `<h3>Acks <small>what makes it final</small></h3><ul class="parts">${acks.map(p => row(p)).join('')}</ul>` +
    (v === undefined
      ? ''
      : `<div class="tag">certificate <code>${escapeXml(v.certificateId)}</code> · proposal <code>${escapeXml(v.proposalId)}</code></div>`) +
    '</div>'
}
