#!/usr/bin/env node
// The package's command line, from the build (`npm run build`; `prepare` runs it on install from git).
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  // libp2p 3 needs Promise.withResolvers and a global WebSocket
  process.stderr.write(`error: libp2p-consensus needs Node 22 or newer; this is Node ${process.versions.node}\n`)
  process.exit(1)
}
await import('../dist/src/cli/bin.js')
