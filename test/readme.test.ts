import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'

/** A ```ts block of README.md (```ts fragment blocks are excerpts and are not run). */
interface Block {
  /** the heading the block sits under */
  heading: string
  /** 1-based line of the block's first code line */
  line: number
  code: string
}

// What each block prints, by the heading it sits under: the values its comments state.
const PRINTS: Record<string, Array<string | RegExp>> = {
  'Quick start': [/^Deployment approved! \(\d\/5 votes\)$/m],
  'On libp2p': ['libp2p: approved 3'],
  'Browser tabs, terminals and an edge hub': [/^joined: …\w{8} \(3 agents\)$/m, 'tab: approved 3'],
  'Several hubs: a backbone': ['spread: 6 agents over two hubs', 'backbone: approved 6', 'after a hub stopped: approved'],
  'Tabs talk to each other directly (WebRTC)': ['direct: webrtc approved'],
  Names: [/^present: expert-backend-001$/m, /^approved \[.*"expert-backend-001".*\]$/m, 'InvalidParametersError'],
  'Quorum with a custom threshold': ['approved 0.7'],
  'Expert-weighted voting': [/^approved 0\.714/m],
  'A custom algorithm': [/^approved\napproved$/m],
  Statistics: [/^Total proposals: 2$/m, /^QUORUM: 2 proposals, 2 approved, 0 rejected, 0 timeouts \(100%\)$/m],
  'Vote recording (agent side)': ['approved 2'],
  'Timeout handling': ['Consensus timeout: 5/6 voted', 'Strong majority despite timeout - proceeding'],
  'Agent disconnection': ['approved false'],
  Certificates: ['true true'],
  'A certificate file': ['file: approved, same id: true'],
  'Events and the coordinator seam': ['decision: approved', '{"type":"mesh","agentCount":5,"connectionCount":10,"health":"healthy"}'],
  'single-choice': ['single-choice rewrite [2,2,1]'],
  approval: ['approval refactor [3,4,3]'],
  'ranked-choice': ['ranked-choice refactor [[2,2,1],[2,3,0]]'],
  weighted: ['weighted refactor ["1.667","2.000","1.333"]'],
  quadratic: ['quadratic refactor ["1.48","2.35","1.17"]'],
  copeland: ['copeland refactor [2,1,3]'],
  'Winning rules, settled early': ['threshold rejected null'],
  'Vote changes': ['changed 3 1'],
  'Simulation: faults in virtual time': ['simulated: approved 1'],
  'Persistence and bounds': ['after restart: 1']
}

async function readmeBlocks (): Promise<Block[]> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const lines = readme.split('\n')
  const blocks: Block[] = []
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const title = /^#{1,4} (.+)$/.exec(line)
    if (title !== null) heading = title[1] as string
    if (/^```\w*/.test(line)) {
      const end = lines.indexOf('```', i + 1)
      if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`)
      if (line === '```ts') blocks.push({ heading, line: i + 2, code: lines.slice(i + 1, end).join('\n') + '\n' })
      i = end
    }
  }
  return blocks
}

/** Import `code` as its own module (its own imports; the package names resolve to the sources, see vite.config.ts), printing into a list. */
async function run (name: string, code: string, withinMs: number): Promise<{ printed: string, errors: string }> {
  const dir = new URL('./.readme/', import.meta.url)
  await mkdir(dir, { recursive: true })
  const file = new URL(`${name}.ts`, dir)
  await writeFile(file, code)
  const printed: string[] = []
  const errors: string[] = []
  const format = (args: unknown[]): string =>
    args.map(a => typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}` : JSON.stringify(a)).join(' ')
  const { log, error } = console
  console.log = (...args: unknown[]) => { printed.push(format(args)) }
  console.error = (...args: unknown[]) => { errors.push(format(args)) }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    // fail with what the block printed so far rather than at the test's timeout with nothing to go on
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`README block ${name} still running after ${withinMs} ms; it printed:\n${printed.join('\n')}`)) }, withinMs)
    })
    await Promise.race([import(/* @vite-ignore */ `${file.href}?t=${Date.now()}`), late])
  } finally {
    clearTimeout(timer)
    console.log = log
    console.error = error
  }
  return { printed: printed.join('\n'), errors: errors.join('\n') }
}

/** Every block as one module: the imports of all blocks merged (one binding per name), each block's body in its own scope. */
function wholeFile (blocks: Block[]): string {
  const imports = new Map<string, Map<string, string>>() // module → local name → specifier
  const bodies: string[] = []
  for (const block of blocks) {
    const body = block.code.replace(/^import (type )?\{([^}]*)\} from '([^']+)'\n/gm, (_all, typeOnly: string | undefined, names: string, from: string) => {
      const specifiers = imports.get(from) ?? new Map<string, string>()
      imports.set(from, specifiers)
      for (const raw of names.split(',').map(s => s.trim()).filter(s => s !== '')) {
        const specifier = typeOnly !== undefined && !raw.startsWith('type ') ? `type ${raw}` : raw
        const local = specifier.replace(/^type /, '').split(/ as /).pop() as string
        // a value import covers a type-only one of the same name
        if (!specifiers.has(local) || specifiers.get(local)?.startsWith('type ') === true) specifiers.set(local, specifier)
      }
      return ''
    })
    if (/^import /m.test(body)) throw new Error(`README.md:${block.line}: an import this test cannot merge (use import { … } from '…')`)
    bodies.push(`{ // README.md:${block.line} (${block.heading})\n${body}}\n`)
  }
  const locals = new Map<string, string>()
  for (const [from, specifiers] of imports) {
    for (const local of specifiers.keys()) {
      const other = locals.get(local)
      if (other !== undefined) throw new Error(`README blocks import ${local} from both ${other} and ${from}`)
      locals.set(local, from)
    }
  }
  const header = [...imports].map(([from, specifiers]) => `import { ${[...specifiers.values()].join(', ')} } from '${from}'`)
  return `${header.join('\n')}\n\n${bodies.join('\n')}`
}

const blocks = await readmeBlocks()
/** Time one block may take (a few take seconds on the real network; none should come near this). */
const BLOCK_MS = 45_000
/** Time all of them may take, one after another. */
const WHOLE_MS = 120_000

describe('README', () => {
  it('has runnable examples, and every block the expectations name', () => {
    expect(blocks.length).toBeGreaterThan(10)
    for (const heading of Object.keys(PRINTS)) expect(blocks.map(b => b.heading), `a \`\`\`ts block under "${heading}"`).toContain(heading)
  })

  // each block alone, as a user who copies just that one gets it: its own module, the library's modules loaded afresh
  for (const [i, block] of blocks.entries()) {
    it(`block ${i + 1} (README.md:${block.line}, "${block.heading}") runs alone and prints what its comments say`, async () => {
      vi.resetModules()
      const { printed, errors } = await run(`block-${String(i + 1).padStart(2, '0')}`, block.code, BLOCK_MS)
      expect(errors).toBe('')
      for (const expected of PRINTS[block.heading] ?? []) {
        if (typeof expected === 'string') expect(printed).toContain(expected)
        else expect(printed).toMatch(expected)
      }
    }, BLOCK_MS + 10_000)
  }

  it('runs as one program, every block in order, and prints the same', async () => {
    vi.resetModules()
    const { printed, errors } = await run('whole-file', wholeFile(blocks), WHOLE_MS)
    expect(errors).toBe('')
    for (const expected of Object.values(PRINTS).flat()) {
      if (typeof expected === 'string') expect(printed).toContain(expected)
      else expect(printed).toMatch(expected)
    }
  }, WHOLE_MS + 10_000)
})
