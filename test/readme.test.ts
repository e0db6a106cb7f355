import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

// Every ```ts block of README.md, in order, is one program; ```ts fragment blocks are excerpts.
async function readmeProgram (): Promise<string> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1] as string)
  return blocks.join('\n')
}

describe('README', () => {
  it('its examples run as written and print what their comments say', async () => {
    const program = await readmeProgram()
    expect(program).toContain('requestConsensus')
    const dir = new URL('./.readme/', import.meta.url)
    await mkdir(dir, { recursive: true })
    const file = new URL('program.ts', dir)
    await writeFile(file, program)
    const printed: string[] = []
    const log = console.log
    console.log = (...args: unknown[]) => { printed.push(args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' ')) }
    try {
      await import(/* @vite-ignore */ file.href)
    } finally {
      console.log = log
    }
    const output = printed.join('\n')
    expect(output).toMatch(/^Deployment approved! \(\d\/5 votes\)/m)
    expect(output).toContain('libp2p: approved 3')
    expect(output).toContain('tab: approved 3')
    expect(output).toMatch(/^joined: \w{6} \(3 agents\)$/m)
    expect(output).toContain('approved 0.7')
    expect(output).toMatch(/^approved 0\.714/m)
    expect(output).toMatch(/^Total proposals: \d+/m)
    expect(output).toContain('approved 2')
    expect(output).toContain('Consensus timeout: 5/6 voted')
    expect(output).toContain('Strong majority despite timeout - proceeding')
    expect(output).toContain('approved false')
    expect(output).toContain('true true')
    expect(output).toContain('"agentCount":14')
    expect(output).toContain('single-choice rewrite [2,2,1]')
    expect(output).toContain('approval refactor [3,4,3]')
    expect(output).toContain('ranked-choice refactor [[2,2,1],[2,3,0]]')
    expect(output).toContain('weighted refactor ["1.667","2.000","1.333"]')
    expect(output).toContain('quadratic refactor ["1.48","2.35","1.17"]')
    expect(output).toContain('copeland refactor [2,1,3]')
    expect(output).toContain('threshold rejected null')
    expect(output).toContain('changed 3 1')
  })
})
