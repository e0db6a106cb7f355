/**
 * `npm run build` ends here: print the library's own browser bundle size (gzip), the figure the
 * benchmark's bundle section reports (bench/bundle.ts has the details).
 */
import { describeBundle, LIBP2P_EXTERNALS, measureBundle } from '../bench/bundle.js'

const size = await measureBundle('browser bundle of src/index.ts without libp2p', LIBP2P_EXTERNALS)
console.log(describeBundle(size))
