/**
 * The demo page: `#sim` runs a swarm inside the page, `#live` makes this tab an agent of the hub's
 * swarm. Each mode starts the first time it is shown.
 */
import './style.css'
import { LivePanel } from './live/panel.js'
import { SimulationPanel } from './sim/panel.js'

type Mode = 'sim' | 'live'

let simulation: SimulationPanel | undefined
const live = new LivePanel()

function show (mode: Mode): void {
  document.querySelectorAll<HTMLElement>('section.mode').forEach(section => { section.hidden = section.dataset.mode !== mode })
  document.querySelectorAll<HTMLElement>('.tabs a').forEach(tab => { tab.classList.toggle('on', tab.dataset.mode === mode) })
  if (mode === 'sim') simulation ??= new SimulationPanel()
  else live.start()
}

const current = (): Mode => location.hash === '#live' ? 'live' : 'sim'
window.addEventListener('hashchange', () => { show(current()) })
show(current())
