#!/usr/bin/env node
// The package's command line, from the build (`npm run build`; `prepare` runs it on install from git).
import '../dist/src/cli/bin.js'
