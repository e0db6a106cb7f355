/**
 * The certificate dialog: a decision's certificate, or a dropped certificate file, checked in the
 * page (see certificate-view.ts), with a button to download the certificate as a `.cbor` file.
 */
import { byId } from '../sim/dom.js'
import { checkCertificate, checkCertificateFile, downloadCertificate, renderCertificateCheck } from './certificate-view.js'
import type { Certificate } from '../../../src/index.js'
import type { KeptDecision } from './history.js'

/** The largest file the drop zone reads (a certificate of a big electorate is well below it). */
const MAX_FILE_BYTES = 8 * 1024 * 1024

/** The page's certificate dialog and drop zone. */
export class CertificateDialog {
  private current: Certificate | undefined

  constructor (private readonly nameOf: (id: string) => string) {}

  /** Wire the dialog's buttons and the drop zone (once). */
  wireDropZone (): void {
    const dialog = byId<HTMLDialogElement>('live-cert')
    byId('live-cert-close').addEventListener('click', () => { dialog.close() })
    byId('live-cert-download').addEventListener('click', () => {
      if (this.current !== undefined) downloadCertificate(this.current, this.current.id)
    })
    const input = byId<HTMLInputElement>('live-cert-file')
    input.addEventListener('change', () => {
      const file = input.files?.[0]
      if (file !== undefined) void this.showFile(file)
      input.value = ''
    })
    const zone = byId('live-drop')
    zone.addEventListener('dragover', (evt) => { evt.preventDefault(); zone.classList.add('over') })
    zone.addEventListener('dragleave', () => { zone.classList.remove('over') })
    zone.addEventListener('drop', (evt) => {
      evt.preventDefault()
      zone.classList.remove('over')
      const file = evt.dataTransfer?.files[0]
      if (file !== undefined) void this.showFile(file)
    })
  }

  /** Show a decision's certificate, checked. */
  async show (certificate: Certificate, kept: KeptDecision): Promise<void> {
    this.current = certificate
    const check = await checkCertificate(certificate)
    const source = `decided ${new Date(kept.decidedAt).toLocaleString()} · checked in this page by verifyCertificate`
    this.open(renderCertificateCheck(check, this.nameOf, source), true)
  }

  /** Check a file dropped or picked: nothing leaves the page. */
  async showFile (file: File): Promise<void> {
    this.current = undefined
    if (file.size > MAX_FILE_BYTES) {
      this.open('<div class="cert-view"><div class="verdict bad" data-verified="false"><span class="tick bad">✗</span> <b>Not checked</b>' +
        `<div class="reason">${file.size} bytes: a certificate file is at most ${MAX_FILE_BYTES}</div></div></div>`, false)
      return
    }
    const check = await checkCertificateFile(new Uint8Array(await file.arrayBuffer()))
    this.open(renderCertificateCheck(check, this.nameOf, `file ${file.name} (${file.size} bytes) · checked offline in this page`), false)
  }

  private open (html: string, downloadable: boolean): void {
    byId('live-cert-body').innerHTML = html
    byId<HTMLButtonElement>('live-cert-download').hidden = !downloadable
    const dialog = byId<HTMLDialogElement>('live-cert')
    if (!dialog.open) dialog.showModal()
  }
}
