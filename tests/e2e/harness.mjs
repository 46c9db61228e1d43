// What the browser scripts (browser.mjs, identity.mjs) share: a headless
// Chromium (playwright-core, the Debian `chromium` package) with a fresh
// profile, a record of dialogs and page errors, named steps that fail
// loudly, and the run that reports them.
//
// Env: BASE_URL (the dashboard), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS (a directory: `screenshot` writes the README's PNGs there).
import { createRequire } from 'node:module'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const { chromium } = require('../interop/node_modules/playwright-core')

export const base = process.env.BASE_URL
export const TIMEOUT = 15000
assert.ok(base, 'BASE_URL is required')

const profile = mkdtempSync(join(tmpdir(), 'interval-e2e-'))
export const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 800 },
  // Dates are shown in the reader's locale and zone: a fixed one, ahead of
  // UTC and without daylight saving, so that the tests can tell.
  locale: 'en-US',
  timezoneId: 'Asia/Tokyo',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
})
context.setDefaultTimeout(TIMEOUT)
export const page = context.pages()[0] || (await context.newPage())
// Every dialog is recorded; "leave this page?" prompts are accepted.
export const prompts = []
page.on('dialog', dialog => {
  prompts.push(dialog.type())
  ;(dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()).catch(() => {})
})
const problems = []
// Console messages a script expects (a server it restarts refuses the
// page's reconnects meanwhile, and Chromium logs each refusal).
export const expectedConsole = []
/** Expects the console messages of reconnects to a server that is down. */
export function expectReconnects() {
  expectedConsole.push(/^console: WebSocket connection to '.*\/api\/dashboard' failed/)
}
page.on('pageerror', e => problems.push(`page error: ${e.message}`))
page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })

const steps = []
/** Runs one named step; its failure names it and the steps before it. */
export async function step(name, body) {
  process.stderr.write(`e2e: ${name}\n`)
  await body()
  steps.push(name)
}

export const visible = (locator) => locator.waitFor({ state: 'visible' })

/** Saves the page as `name`.png in SCREENSHOTS, when that is set. */
export async function screenshot(name) {
  const shots = process.env.SCREENSHOTS
  if (!shots) return
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, `${name}.png`) })
}
export const text = (s) => page.getByText(s, { exact: false }).first()

/**
 * Runs `body` (the steps), then checks the page logged no errors; on a
 * failure, saves a screenshot, prints what failed after which steps, and
 * sets a failing exit code. Always closes the browser.
 */
export async function run(body) {
  try {
    await body()
    const unexpected = problems.filter(p => !p.includes('Failed to load resource') &&
      !expectedConsole.some(pattern => pattern.test(p)))
    assert.deepEqual(unexpected, [], 'no errors in the page')
    console.log(`${steps.length} passed, 0 failed`)
  } catch (error) {
    await page.screenshot({ path: join(profile, '..', 'interval-e2e-failure.png') }).catch(() => {})
    console.error(`e2e failed after: ${steps.join(' → ') || 'nothing'}\n`, error)
    console.error(problems.join('\n'))
    process.exitCode = 1
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
}
