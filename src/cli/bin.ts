/**
 * The `libp2p-consensus` executable: runs the command line and exits with its code (open sockets
 * or timers of a stopped node must not keep the process alive).
 */
import { run } from './index.js'

process.exit(await run(process.argv))
