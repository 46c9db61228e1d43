// An automated accessibility scan of the dashboard with axe-core (the
// pinned version of tests/interop/package.json) in a real headless
// Chromium: the sign-in page, the actions list, forms with every kind of
// input (empty, then with validation errors), a select, comboboxes (a
// search open on its results, a searchable select open, chips), a
// spreadsheet with an error, a failed upload, a confirm, tables (display
// and select), display-only steps, completed and failed results, a page with a layout, a notification, the history and a
// transaction of it, the queue, the notifications, API keys, people and
// the audit log.
// First, a page with known faults shows the scan finds them. Any violation
// of impact `serious` or `critical` fails the run, after every page was
// scanned; each is printed with its rule, its help and the elements it
// found. Lesser ones are printed only.
//
// Run by interval-server/tests/e2e.rs against a server with a dashboard
// password and the Rust host of the e2e routes (those of node-host.mjs);
// then, without PASSWORD, in open mode (nobody has a password yet): the
// actions list, the set-up page and a link from another site.
//
// Env: BASE_URL, CHROMIUM (see harness.mjs), PASSWORD (the dashboard's).
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'
import { base, context, page, step, visible, text, run } from './harness.mjs'

const require = createRequire(import.meta.url)
const password = process.env.PASSWORD

// An init script, so that it runs whatever the page's Content-Security-
// Policy (script-src 'self' would refuse an inline <script>).
await context.addInitScript({ path: require.resolve('../interop/node_modules/axe-core/axe.min.js') })

const failing = new Set(['serious', 'critical'])
const found = []

/** What axe finds wrong on the page, but in the elements `exclude` selects. */
function violationsOf(exclude = []) {
  return page.evaluate(async (exclude) => {
    // Rules of every WCAG level and axe's best practices (the default).
    const context = exclude.length ? { include: [document], exclude } : document
    const results = await window.axe.run(context, { resultTypes: ['violations'] })
    return results.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }))
  }, exclude)
}

/**
 * Scans the page as it is now, as `where`, but for the elements that
 * `exclude` selects; records what axe finds.
 */
async function scan(where, exclude = []) {
  await step(`axe: ${where}`, async () => {
    const violations = await violationsOf(exclude)
    for (const v of violations) {
      const serious = failing.has(v.impact)
      if (serious) found.push({ where, ...v })
      const lines = v.targets.map(t => `    ${t.target}\n      ${(t.summary || '').replace(/\n/g, '\n      ')}`)
      process.stderr.write(`${serious ? 'VIOLATION' : 'note'} [${v.impact}] ${v.id} on ${where}: ${v.help}\n${lines.join('\n')}\n`)
    }
  })
}

await run(async () => {
  await step('the scan finds what it should (a page with known faults)', async () => {
    await page.goto(base + '/health') // a page of the server, so axe is loaded
    await page.setContent('<html lang="en"><head><title>Faults</title></head><body><main><img src="x.png"><button></button></main></body></html>')
    const ids = (await violationsOf()).map(v => v.id)
    assert.ok(ids.includes('image-alt') && ids.includes('button-name'), `found: ${ids}`)
    const excluded = (await violationsOf(['img'])).map(v => v.id)
    assert.ok(!excluded.includes('image-alt') && excluded.includes('button-name'), `found: ${excluded}`)
  })

  if (!password) {
    await openMode()
    return noneSerious()
  }

  await step('the sign-in page', async () => {
    await page.goto(base + '/')
    await page.waitForURL(/\/login$/)
    await visible(page.getByLabel('Password'))
  })
  await scan('sign-in page')

  await step('a wrong password', async () => {
    await page.getByLabel('Email').fill('admin@localhost')
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/login/)
    await visible(page.getByLabel('Password'))
  })
  await scan('sign-in page with an error')

  await step('sign in', async () => {
    await page.getByLabel('Email').fill('admin@localhost')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(base + '/')
    await visible(page.getByRole('link', { name: 'Onboard a customer' }))
  })
  await scan('actions list')

  await step('search the actions', async () => {
    const search = page.getByRole('searchbox', { name: 'Search actions' })
    await search.fill('browse')
    await search.press('Enter')
    await visible(text('1 matching action'))
  })
  await scan('actions list, searched')

  await step('a form: text, number, email', async () => {
    await page.goto(base + '/actions/onboard')
    await visible(page.getByLabel('Name'))
  })
  await scan('form')

  await step('the form with validation errors', async () => {
    await page.getByLabel('Age').fill('12')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('This field is required.'))
  })
  await scan('form with a field error')

  await step('the form with an error of the whole form', async () => {
    await page.getByLabel('Name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Ada must be an adult'))
  })
  await scan('form with a form error')

  await step('a select', async () => {
    await page.getByLabel('Age').fill('36')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByLabel('Plan'))
  })
  await scan('select')

  await step('a confirm', async () => {
    await page.getByLabel('Plan').selectOption({ label: 'Pro' })
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByRole('heading', { name: 'Create an account for Ada?' }))
  })
  await scan('confirm')

  await step('a loading state', async () => {
    await page.getByRole('button', { name: 'Confirm' }).click()
    await visible(page.locator('#loading progress'))
  })
  await scan('loading state')

  await step('a completed transaction', async () => {
    await visible(page.getByText('Completed', { exact: true }))
    await visible(page.locator('#logs').getByText('created Ada'))
  })
  await scan('completed result with logs')

  await step('every kind of field', async () => {
    await page.goto(base + '/actions/everything')
    await visible(page.getByLabel('Start date'))
    await visible(page.getByLabel('I agree'))
  })
  await scan('form with every kind of field')

  await step('fill every kind of field', async () => {
    await page.getByLabel('Start date').fill('2024-03-09')
    await page.getByLabel('Level').fill('4')
    await page.getByRole('textbox', { name: 'Notes' }).fill('Some notes')
    await page.getByLabel('Green').check()
    await page.getByRole('combobox', { name: 'Find a user' }).pressSequentially('user4')
    await visible(page.getByRole('option', { name: 'user42@example.com' }))
    await page.getByRole('combobox', { name: 'Find a user' }).press('ArrowDown')
  })
  await scan('form with a search combobox open on its results')

  await step('display-only fields and choice buttons', async () => {
    await page.getByRole('option', { name: 'user42@example.com' }).click()
    await page.getByLabel('Attachment').setInputFiles({
      name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the browser'),
    })
    await visible(text('note.txt (1 KB) uploaded'))
    await page.getByLabel('I agree').check()
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByRole('link', { name: 'Read the docs' }))
    await visible(page.locator('.grid').getByText('user1@example.com'))
  })
  await scan('code, link, metadata, grid and choices')

  await step('its result', async () => {
    await page.getByRole('button', { name: 'Approve' }).click()
    await visible(page.locator('#result').getByText('hello from the browser'))
  })
  await scan('completed result')

  await step('a spreadsheet with a row added and a refused cell', async () => {
    await page.goto(base + '/actions/stock')
    await visible(page.getByLabel('Row 1 Item', { exact: true }))
    await page.getByRole('button', { name: 'Add row' }).click()
    await page.getByLabel('Row 3 Amount', { exact: true }).fill('abc')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Row 3: Amount must be a number'))
  })
  await scan('spreadsheet with an error')

  await step('an upload to the host’s URLs that fails', async () => {
    // This run's host points its URLs at a port where nothing listens.
    await page.goto(base + '/actions/receipt')
    await page.getByLabel('Receipt').setInputFiles({
      name: 'receipt.txt', mimeType: 'text/plain', buffer: Buffer.from('paid'),
    })
    await visible(text('receipt.txt could not be uploaded'))
  })
  await scan('an upload that failed')

  await step('a searchable select open, a multiple search with chips', async () => {
    await page.goto(base + '/actions/pick')
    const members = page.getByRole('combobox', { name: 'Team members' })
    await members.pressSequentially('user1')
    await visible(page.getByRole('option', { name: 'user12@example.com' }))
    // The first result is the active one.
    await members.press('Enter')
    await visible(page.getByRole('button', { name: 'Remove user1@example.com' }))
    await page.getByRole('combobox', { name: 'Country' }).press('ArrowDown')
    await visible(page.getByRole('listbox', { name: 'Country' }))
  })
  await scan('comboboxes: a select open, chips of a search')

  await step('a display table', async () => {
    await page.goto(base + '/actions/users')
    const table = page.locator('section.table').first()
    await visible(table.getByText('1–10 of 60'))
    await table.getByRole('button', { name: 'email' }).click()
    await visible(table.locator('th[aria-sort="ascending"]'))
  })
  await scan('display table, sorted')

  await step('a select table below the display table', async () => {
    const table = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Pick users' }) })
    await visible(table.getByRole('heading', { name: 'Pick users' }))
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Select at least 1.'))
    await table.getByLabel('Select user3@example.com').check()
  })
  await scan('select table with an error')

  await step('steps on one page: displays, an answered question, the next one', async () => {
    await page.goto(base + '/actions/journey')
    await page.getByLabel('Your name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByLabel('Favourite colour'))
  })
  await scan('steps accumulated')

  await step('tables with every row, metadata and markdown help', async () => {
    await page.goto(base + '/actions/report')
    const orders = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Orders' }) })
    await visible(orders.getByRole('button', { name: 'amount' }))
    await visible(page.locator('.metadata time'))
  })
  await scan('tables, metadata and help text')

  await step('an error result', async () => {
    await page.goto(base + '/actions/fail')
    await visible(text('Something broke'))
  })
  await scan('error result')

  await step('markdown and HTML from the host', async () => {
    await page.goto(base + '/actions/xss')
    await visible(page.getByRole('heading', { name: 'Untrusted', exact: true }))
  })
  // The action's own HTML, hostile on purpose: its <img> attack loses its
  // `src` to the sanitizer, and an image without a source is dropped.
  await scan('markdown and HTML')

  await step('a page with a layout and a menu', async () => {
    await page.goto(base + '/actions/team')
    await visible(page.locator('#page-body section.table').getByText('1–10 of 25'))
  })
  await scan('page with a layout')

  await step('a notification and a redirect', async () => {
    await page.goto(base + '/actions/go')
    await visible(page.getByRole('status').filter({ hasText: 'Someone went elsewhere' }))
  })
  await scan('a notification shown')

  await step('a link from another site asks first', async () => {
    // The session cookie is SameSite=Strict, so a real link from another
    // site lands on the sign-in page, and Chromium will not let a script
    // set Sec-Fetch-Site: the page is fetched as such a link would (with
    // the cookie) and shown on a page of the server.
    const response = await page.request.get(base + '/actions/onboard?plan=gold', {
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    assert.ok(response.ok(), `${response.status()}`)
    await page.goto(base + '/health')
    await page.setContent(await response.text())
    await visible(page.getByRole('heading', { name: 'Run this action?' }))
    const styled = await page.evaluate(() => getComputedStyle(document.querySelector('.topbar')).display)
    assert.equal(styled, 'flex', 'the stylesheet applies')
  })
  await scan('run this action?')

  await step('the history', async () => {
    await page.goto(base + '/history')
    await visible(page.getByRole('link', { name: 'Onboard a customer' }).first())
  })
  await scan('history')

  await step('a transaction in the history', async () => {
    await page.getByRole('link', { name: 'Onboard a customer' }).first().click()
    await page.waitForURL(/\/history\/.+/)
    await visible(text('created Ada'))
  })
  await scan('a transaction in the history')

  for (const [path, name] of [
    ['/queue', 'queue'],
    ['/notifications', 'notifications'],
    ['/keys', 'API keys'],
    ['/people', 'people'],
    ['/audit', 'audit log'],
  ]) {
    await step(`the ${name} page`, async () => {
      await page.goto(base + path)
      await visible(page.locator('main'))
    })
    await scan(name)
  }

  await noneSerious()
})

/** The steps in open mode. */
async function openMode() {
  await step('open mode: the actions list', async () => {
    await page.goto(base + '/')
    await visible(page.getByRole('link', { name: 'Onboard a customer' }))
    await visible(page.getByRole('link', { name: 'Set up sign-in' }))
  })
  await scan('actions list in open mode')

  await step('open mode: the set-up page', async () => {
    await page.getByRole('link', { name: 'Set up sign-in' }).click()
    await page.waitForURL(/\/setup$/)
    await visible(page.locator('main form'))
  })
  await scan('set-up page')

  await step('open mode: a link from another site asks first', async () => {
    const other = base.includes('127.0.0.1') ? base.replace('127.0.0.1', 'localhost') : base.replace('localhost', '127.0.0.1')
    await page.goto(other + '/health')
    await page.setContent(`<a href="${base}/actions/onboard?plan=gold">Onboard for free</a>`)
    await page.getByRole('link', { name: 'Onboard for free' }).click()
    await visible(page.getByRole('heading', { name: 'Run this action?' }))
  })
  await scan('run this action? (open mode)')
}

/** Fails on the serious and critical violations found, listing them. */
async function noneSerious() {
  await step('no serious or critical violation', async () => {
    const report = found.map(v =>
      `${v.id} [${v.impact}] on ${v.where}: ${v.help}\n` + v.targets.map(t => `    ${t.target}`).join('\n'))
    assert.equal(found.length, 0, `axe found ${found.length} serious or critical violation(s):\n${report.join('\n')}`)
  })
}
