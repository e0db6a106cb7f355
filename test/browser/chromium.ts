/**
 * Which Chromium the browser tests, the demo's e2e test and `demo/screenshot.ts` drive, and how to launch it.
 * In order: the executable in `CHROMIUM_PATH`; Debian's `/usr/bin/chromium`; else the headless Chromium that
 * the `@sparticuz/chromium` devDependency ships inside its npm package, so `npm install && npm test` needs no
 * system browser and nothing is downloaded at run time (never `playwright install`). `CHROMIUM_PATH=@sparticuz/chromium`
 * picks the packaged one even where there is a system browser (.ci/run does, to test both).
 */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** What `chromium.launch()` (playwright) needs to start the chosen browser. */
export interface ChromiumLaunchOptions {
  executablePath: string
  args: string[]
  /** the browser's environment; set only for the packaged browser (its libraries and fonts) */
  env?: Record<string, string>
}

/**
 * Flags every launch gets. No --user-data-dir: playwright refuses it in launch args. --disable-dev-shm-usage: Debian's
 * launcher adds it only when its /dev/shm probe works, and a CI container's /dev/shm is often 64 MB.
 */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-dev-shm-usage']

/**
 * `@sparticuz/chromium`'s flags we leave out. --single-process is there for AWS Lambda's sandbox, where a child process
 * cannot start: with it the demo's e2e test hangs in `browser.newPage()` once an earlier page has closed, then the browser
 * dies (the browser project's tabs happened to pass). --disable-web-security and --allow-running-insecure-content would let
 * pages do what a user's browser forbids. --headless='shell': playwright sets the headless mode itself.
 */
const DROPPED_PACKAGED_ARGS = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content', "--headless='shell'"])

const SYSTEM_CHROMIUM = '/usr/bin/chromium'
/** The value of CHROMIUM_PATH that picks the packaged browser. */
const PACKAGED = '@sparticuz/chromium'

function isExecutableFile (path: string): boolean {
  try {
    // a regular file: a hidden browser is often /dev/null bind-mounted over it
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The packaged browser's files, complete: the unpacking below renames its folder into place only when done. */
function isUnpacked (dir: string): boolean {
  return ['chromium', 'al2023/lib/libnss3.so', 'fonts.conf'].every(file => existsSync(join(dir, file)))
}

/**
 * Unpacks `@sparticuz/chromium` (once per version and user) into a folder of the OS temp dir and returns that folder.
 * The package inflates into `os.tmpdir()`, so a child process with its own TMPDIR unpacks into a private folder, renamed
 * into place when complete: concurrent runs (the browser project and the demo's e2e test) never see a half-written
 * binary. AWS_EXECUTION_ENV makes the package also unpack its Amazon Linux NSS and expat libraries, the only shared
 * libraries the binary needs beyond glibc, so it runs where no distro browser has pulled them in.
 */
function unpackPackagedChromium (): string {
  const require = createRequire(import.meta.url)
  const root = join(dirname(require.resolve('@sparticuz/chromium')), '..', '..')
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  const dir = join(tmpdir(), `libp2p-consensus-chromium-${version}-${process.getuid?.() ?? 0}`)
  if (isUnpacked(dir)) return dir
  // a folder left incomplete (a temp cleaner took files from it): unpack again
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
  const staging = mkdtempSync(`${dir}.unpacking-`)
  try {
    const entry = pathToFileURL(join(root, 'build', 'esm', 'index.js')).href
    execFileSync(process.execPath, ['--input-type=module', '-e', `await (await import(${JSON.stringify(entry)})).default.executablePath()`], {
      env: { ...process.env, TMPDIR: staging, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' },
      stdio: ['ignore', 'ignore', 'inherit']
    })
    // the package's fonts.conf names /tmp/fonts; ours names the unpacked fonts, after the system's fonts when there are any
    writeFileSync(join(staging, 'fonts.conf'), `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(dir, 'fonts', 'fonts')}</dir>
  <cachedir>${join(dir, 'fonts-cache')}</cachedir>
</fontconfig>
`)
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    throw err
  }
  try {
    renameSync(staging, dir)
  } catch (err) {
    // another process renamed its copy into place first: use that one
    rmSync(staging, { recursive: true, force: true })
    if (!isUnpacked(dir)) throw err
  }
  return dir
}

let chosen: ChromiumLaunchOptions | undefined

/** Set once a process has printed its choice, so vitest's workers, which inherit it, print only a different one. */
const PRINTED = 'LIBP2P_CONSENSUS_BROWSER'

/** The browser to launch and its flags, chosen once per process; prints which one, once per run. */
export function chromiumLaunchOptions (): ChromiumLaunchOptions {
  if (chosen === undefined) {
    const [options, why] = chooseChromium()
    if (process.env[PRINTED] !== options.executablePath) console.info(`browser: ${options.executablePath} (${why})`)
    process.env[PRINTED] = options.executablePath
    chosen = options
  }
  // a copy: vitest's playwright provider pushes flags onto `args`
  return { ...chosen, args: [...chosen.args] }
}

function chooseChromium (): [ChromiumLaunchOptions, string] {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv === PACKAGED) return [packagedChromium(), `${PACKAGED}, from CHROMIUM_PATH`]
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutableFile(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which is neither an executable file nor ${PACKAGED}`)
    return [{ executablePath: fromEnv, args: ARGS }, 'from CHROMIUM_PATH']
  }
  if (isExecutableFile(SYSTEM_CHROMIUM)) return [{ executablePath: SYSTEM_CHROMIUM, args: ARGS }, 'the system browser; CHROMIUM_PATH picks another']
  return [packagedChromium(), `${PACKAGED}, as there is no ${SYSTEM_CHROMIUM}; CHROMIUM_PATH picks another`]
}

function packagedChromium (): ChromiumLaunchOptions {
  // loaded only when needed; its CommonJS build exports the class itself
  const packaged = createRequire(import.meta.url)('@sparticuz/chromium') as typeof import('@sparticuz/chromium').default
  const dir = unpackPackagedChromium()
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value
  env.LD_LIBRARY_PATH = [join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')
  env.FONTCONFIG_FILE = join(dir, 'fonts.conf')
  const args = [...packaged.args.filter(arg => !DROPPED_PACKAGED_ARGS.has(arg)), ...ARGS]
  return { executablePath: join(dir, 'chromium'), args: [...new Set(args)], env }
}
