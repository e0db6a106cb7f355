import { runSeeds, summarize } from './test/helpers/sim-matrix.ts'
const t0 = performance.now()
const r = await runSeeds(0, 150)
console.log(summarize(r))
console.log('ms per seed', (performance.now() - t0) / 150)
const bad = r.filter(x => x.disagreements > 0 || x.certificates > 1)
console.log('bad', bad.map(b => b.seed))
const loss0 = r.filter(x => x.crash === 'none')
console.log(loss0.map(x => `${x.seed}:${x.finalized}/${x.decision}`).join(' '))
