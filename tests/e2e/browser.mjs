// Drives the dashboard in a real headless Chromium (playwright-core, the
// Debian `chromium` package) the way a person would, and asserts on what
// the page shows. Run by interval-server/tests/e2e.rs against a
// server with a host (Node or Rust) serving the routes of node-host.mjs.
//
// Env: BASE_URL (the dashboard), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS (a directory: also writes the README's screenshots there).
import assert from 'node:assert/strict'
import { base, context, page, prompts, screenshot, step, visible, text, run } from './harness.mjs'


await run(async () => {
  await step('the route tree lists actions and pages, hides unlisted ones, searches', async () => {
    await page.goto(base + '/')
    await visible(page.getByRole('link', { name: 'Onboard a customer' }))
    await visible(page.getByRole('link', { name: 'Team', exact: true }))
    await visible(page.getByRole('link', { name: 'Add member' }))
    assert.equal(await page.getByRole('link', { name: 'Secret' }).count(), 0, 'unlisted action is hidden')
    const csp = (await page.request.get(base + '/')).headers()['content-security-policy']
    assert.match(csp, /script-src 'self'/)
    // The page names an icon that loads (no 404 for /favicon.ico).
    const icon = new URL(await page.locator('link[rel=icon]').getAttribute('href'), base).href
    for (const url of [icon, base + '/favicon.ico']) {
      const response = await page.request.get(url)
      assert.ok(response.ok(), `${url}: ${response.status()}`)
      assert.match(response.headers()['content-type'], /^image\//)
    }
    await screenshot('actions')
    const search = page.getByRole('searchbox', { name: 'Search actions' })
    assert.equal(await search.count(), 1, 'one search box on the dashboard')
    await search.fill('browse')
    await search.press('Enter')
    await visible(text('1 matching action'))
    await visible(page.getByRole('link', { name: 'Browse users' }))
    assert.equal(await page.getByRole('link', { name: 'Onboard a customer' }).count(), 0)
  })

  await step('an unlisted action is reachable by URL', async () => {
    await page.goto(base + '/actions/secret')
    await visible(text('found'))
  })

  await step('a form with a required field and a validation error', async () => {
    await page.goto(base + '/')
    await page.getByRole('link', { name: 'Onboard a customer' }).click()
    const name = page.getByLabel('Name')
    await visible(name)
    await page.getByLabel('Age').fill('12')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('This field is required.'))
    assert.equal(await name.getAttribute('aria-invalid'), 'true')
    await name.fill('Ada')
    await page.getByLabel('Email (optional)').fill('ada@example.com')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Ada must be an adult'))
    assert.equal(await name.inputValue(), 'Ada', 'values survive the re-render')
    await screenshot('form')
    await page.getByLabel('Age').fill('36')
    await page.getByLabel('Age').press('Enter')
  })

  await step('a select', async () => {
    const plan = page.getByLabel('Plan')
    await visible(plan)
    await plan.selectOption({ label: 'Pro' })
    await page.getByRole('button', { name: 'Continue' }).click()
  })

  await step('a confirm', async () => {
    await visible(page.getByRole('heading', { name: 'Create an account for Ada?' }))
    await visible(text('This sends an email.'))
    await page.getByRole('button', { name: 'Confirm' }).click()
  })

  await step('a loading state with a progress bar', async () => {
    await visible(text('Creating the account'))
    await visible(page.locator('#loading progress'))
    assert.equal(await page.locator('#loading progress').getAttribute('max'), '3')
  })

  await step('the result and the log', async () => {
    await visible(page.getByText('Completed', { exact: true }))
    await visible(page.locator('#result').getByText('Pro', { exact: true }))
    await visible(page.locator('#result').getByText('ada@example.com'))
    await visible(page.locator('#logs').getByText('created Ada'))
    // Log lines show their time to the second.
    const logged = await page.locator('#logs li').first().locator('time').textContent()
    assert.match(logged, /\d:\d\d:\d\d/, `a log line's time: ${logged}`)
    await screenshot('result')
    await visible(page.getByRole('link', { name: 'New transaction' }))
  })

  await step('a table: paging, sorting (asc → desc → none) and search', async () => {
    await page.goto(base + '/actions/users')
    const table = page.locator('section.table').first()
    await visible(table.getByText('user0@example.com', { exact: true }))
    await visible(table.getByText('1–10 of 60'))
    assert.equal(await table.getByText('user10@example.com', { exact: true }).count(), 0)
    await table.getByRole('button', { name: 'Next page', exact: true }).click()
    await visible(table.getByText('user10@example.com', { exact: true }))
    await visible(table.getByText('11–20 of 60'))
    // Sorting (the host's, or the dashboard's when it has every row)
    // cycles ascending → descending → none, from the first page.
    const email = table.getByRole('button', { name: 'email' })
    const firstEmail = () => table.locator('tbody tr').first().locator('td').first().textContent()
    await email.click()
    await visible(table.locator('th[aria-sort="ascending"]'))
    await visible(table.getByText('1–10 of 60'))
    await email.click()
    await visible(table.locator('th[aria-sort="descending"]'))
    assert.equal(await firstEmail(), 'user59@example.com')
    await email.click()
    await table.locator('th[aria-sort="descending"]').waitFor({ state: 'detached' })
    assert.equal(await table.locator('th[aria-sort="ascending"]').count(), 0)
    assert.equal(await firstEmail(), 'user0@example.com')
    await table.getByLabel('Search Users').fill('user42')
    await visible(table.getByText('1–1 of 1'))
    await visible(table.getByText('user42@example.com', { exact: true }))
    await screenshot('table')
  })

  await step('a select table below the table shown before: its minimum, its maximum and select all on a page', async () => {
    const table = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Pick users' }) })
    await visible(table.getByRole('heading', { name: 'Pick users' }))
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Select at least 1.'))
    const all = table.getByRole('checkbox', { name: 'Select all rows on this page' })
    const user3 = table.getByLabel('Select user3@example.com')
    await user3.check()
    assert.equal(await all.evaluate(box => box.indeterminate), true, 'some rows of the page')
    await table.getByRole('button', { name: 'Next page', exact: true }).click()
    await visible(table.getByText('11–20 of 25'))
    assert.equal(await all.isDisabled(), true, 'user3 and this page would be 11, above maxSelections 10')
    await table.getByRole('button', { name: 'Previous page', exact: true }).click()
    await visible(table.getByText('1–10 of 25'))
    await user3.uncheck()
    await table.getByRole('button', { name: 'Next page', exact: true }).click()
    await visible(table.getByText('11–20 of 25'))
    assert.equal(await all.isDisabled(), false)
    await all.focus()
    await page.keyboard.press('Space')
    assert.equal(await all.isChecked(), true)
    assert.equal(await table.getByLabel('Select user19@example.com').isChecked(), true)
    await page.getByRole('button', { name: 'Continue' }).click()
    const page2 = Array.from({ length: 10 }, (_, i) => `user${10 + i}@example.com`).join(', ')
    await visible(page.locator('#result').getByText(page2, { exact: true }))
  })

  await step('a table with every row: sorted by numbers, dates and text; dates for the reader; markdown help; one row', async () => {
    await page.goto(base + '/actions/report')
    const orders = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Orders' }) })
    const column = n => orders.locator('tbody tr td:nth-child(' + (n + 1) + ')')
    await visible(orders.getByRole('button', { name: 'amount' }))
    // The help text's inline markdown, cleaned.
    await visible(orders.locator('.help strong').getByText('here'))
    await visible(orders.locator('.help code').getByText('sort'))
    const guide = orders.locator('.help').getByRole('link', { name: 'the guide' })
    assert.equal(await guide.getAttribute('href'), 'https://example.com/guide')
    // Numbers by value, dates by time, text whatever its case.
    const sortBy = async (name, direction) => {
      await orders.getByRole('button', { name }).click()
      await visible(orders.locator(`th[aria-sort="${direction}"]`).getByRole('button', { name }))
    }
    await sortBy('amount', 'ascending')
    assert.deepEqual(await column(1).allTextContents(), ['9', '10', '100'])
    await sortBy('amount', 'descending')
    assert.deepEqual(await column(1).allTextContents(), ['100', '10', '9'])
    await orders.getByRole('button', { name: 'amount' }).click()
    await orders.locator('th[aria-sort="descending"]').waitFor({ state: 'detached' })
    assert.deepEqual(await column(0).allTextContents(), ['bob', 'Alice', 'carol'], 'no sort: the host\'s order')
    await sortBy('placed', 'ascending')
    assert.deepEqual(await column(0).allTextContents(), ['Alice', 'carol', 'bob'])
    await sortBy('customer', 'ascending')
    assert.deepEqual(await column(0).allTextContents(), ['Alice', 'bob', 'carol'])
    await sortBy('customer', 'descending')
    assert.deepEqual(await column(0).allTextContents(), ['carol', 'bob', 'Alice'])
    // Dates in the reader's locale and zone (the browser's: Asia/Tokyo).
    const placed = orders.locator('time[datetime="2024-03-01T12:00:00.000Z"]')
    assert.match(await placed.textContent(), /^Mar 1, 2024, 9:00\sPM GMT\+9$/)
    const summary = page.locator('.metadata time[datetime="2023-12-31T23:00:00.000Z"]')
    assert.match(await summary.textContent(), /^Jan 1, 2024, 8:00\sAM GMT\+9$/)
    // A table of one row is still a table.
    const only = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Only order' }) })
    await visible(only.getByRole('columnheader', { name: 'customer' }))
    assert.equal(await only.locator('tbody tr').count(), 1)
    await visible(only.getByRole('cell', { name: 'bob' }))
    await visible(only.getByText('1–1 of 1'))
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 0, 'displays wait for no Continue')
    const latest = page.locator('#result time[datetime="2024-03-01T12:00:00.000Z"]')
    assert.match(await latest.textContent(), /^Mar 1, 2024, 9:00\sPM GMT\+9$/)
  })

  await step('steps accumulate: displays show with the next question, earlier steps stay, an earlier table pages while a later question waits', async () => {
    await page.goto(base + '/actions/journey')
    const io = page.locator('#io')
    const welcome = io.getByText('Welcome', { exact: true })
    await visible(welcome)
    await visible(page.getByLabel('Your name'))
    const crew = page.locator('section.table').filter({ has: page.getByRole('heading', { name: 'Crew' }) })
    await visible(crew.getByText('1–10 of 600'))
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 1, 'the displays wait for no Continue')
    await page.getByLabel('Your name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByLabel('Favourite colour'))
    // The earlier steps stay: the displays, and the answer, read-only.
    await visible(welcome)
    const answered = page.getByLabel('Your name')
    await visible(answered)
    assert.equal(await answered.inputValue(), 'Ada')
    assert.equal(await answered.isDisabled(), true)
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 1, 'only the current step has buttons')
    // The table shown first pages (by its host: it has more rows than the
    // 500 sent up front) while the later question waits.
    await crew.getByRole('button', { name: 'Next page', exact: true }).click()
    await visible(crew.getByText('11–20 of 600'))
    await visible(crew.getByText('user10@example.com', { exact: true }))
    // And sorts (by its host: not every row was sent), both ways.
    const id = crew.getByRole('button', { name: 'id', exact: true })
    await id.click()
    await visible(crew.locator('th[aria-sort="ascending"]'))
    await id.click()
    await visible(crew.locator('th[aria-sort="descending"]'))
    await visible(crew.getByText('user599@example.com', { exact: true }))
    await visible(crew.getByText('1–10 of 600'))
    await visible(page.getByLabel('Favourite colour'))
    // A reload shows the steps again, the current one to answer.
    await page.reload()
    await visible(io.getByText('Welcome', { exact: true }))
    await visible(crew.getByRole('heading', { name: 'Crew' }))
    assert.equal(await page.getByLabel('Your name').inputValue(), 'Ada', 'the answer, shown again')
    assert.equal(await page.getByLabel('Your name').isDisabled(), true)
    await page.getByLabel('Favourite colour').fill('teal')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Ada likes teal'))
    await visible(welcome)
    // Once finished, its history shows the steps above the result.
    await page.reload()
    await page.waitForURL(/\/history\//)
    await visible(page.getByText('Welcome', { exact: true }))
    await visible(page.getByRole('heading', { name: 'Crew' }))
    const name = page.getByLabel('Your name')
    assert.equal(await name.inputValue(), 'Ada')
    assert.equal(await name.isDisabled(), true)
    assert.equal(await page.getByLabel('Favourite colour').inputValue(), 'teal')
    await visible(text('Ada likes teal'))
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 0, 'a finished run asks nothing')
  })

  await step('an error result', async () => {
    await page.goto(base + '/actions/fail')
    await visible(page.locator('#result-title').getByText('Error', { exact: true }))
    await visible(text('Something broke'))
  })

  await step('a page with a menu item', async () => {
    await page.goto(base + '/actions/team')
    await visible(page.getByRole('heading', { name: 'Team', level: 1 }))
    await visible(text('Everyone on the team'))
    await visible(page.locator('#page-body').getByText('3', { exact: true }))
    const members = page.locator('#page-body section.table')
    await visible(members.getByText('1–10 of 25'))
    await members.getByRole('button', { name: 'Next page', exact: true }).click()
    await visible(members.getByText('11–20 of 25'))
    await visible(members.getByText('user10@example.com', { exact: true }))
    await page.locator('#page-menu').getByRole('link', { name: 'Add member' }).click()
    // The page adds ?_transaction= once its run starts.
    await page.waitForURL(/\/actions\/team\/add(\?|$)/)
    await page.getByLabel('Member name').fill('Grace')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('added Grace'))
  })

  await step('no script from an action runs', async () => {
    await page.goto(base + '/actions/xss')
    await visible(page.getByRole('heading', { name: 'Untrusted', exact: true }))
    await visible(page.locator('#io b').getByText('bold'))
    await page.waitForTimeout(300)
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'a script ran')
    assert.equal(await page.locator('#io script').count(), 0)
    assert.equal(await page.locator('#io [onerror]').count(), 0)
    assert.equal(await page.locator('#io a[href^="javascript"]').count(), 0)
  })

  {
    await step('every kind of field: date, slider, rich text, checkboxes, search, file, boolean', async () => {
      await page.goto(base + '/actions/everything')
      await page.getByLabel('Start date').fill('2024-03-09')
      await page.getByLabel('Level').fill('4')
      await visible(page.locator('output').getByText('4'))
      await page.getByRole('textbox', { name: 'Notes' }).fill('Some notes')
      await page.getByLabel('Green').check()
      // A single search with one result: it is the active option (as on
      // Interval's dashboard), so Enter picks it.
      const find = page.getByRole('combobox', { name: 'Find a user' })
      await find.pressSequentially('user42')
      const only = page.getByRole('listbox', { name: 'Find a user' }).getByRole('option')
      await visible(only.getByText('user42@example.com', { exact: true }))
      await page.waitForFunction(() => document.querySelectorAll('[role=listbox]:not([hidden]) [role=option]:not([hidden])').length === 1)
      assert.equal(await find.getAttribute('aria-activedescendant'), await only.getAttribute('id'))
      await find.press('Enter')
      assert.equal(await find.inputValue(), 'user42@example.com')
      assert.equal(await find.getAttribute('aria-expanded'), 'false')
      await page.getByLabel('Attachment').setInputFiles({
        name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the browser'),
      })
      await visible(text('note.txt (1 KB) uploaded'))
      await page.getByLabel('I agree').check()
      await page.getByRole('button', { name: 'Continue' }).click()
      await visible(page.getByRole('link', { name: 'Read the docs' }))
      // The code, highlighted for its language (Rust): the keyword stands
      // out from the text around it.
      const snippet = page.getByRole('figure', { name: 'Snippet' })
      await visible(snippet.getByText('fn main() {}'))
      const colour = locator => locator.evaluate(element => getComputedStyle(element).color)
      const keyword = await colour(snippet.getByText('fn', { exact: true }))
      const plain = await colour(snippet.getByRole('code'))
      assert.notEqual(keyword, plain, `the keyword "fn" is coloured (${keyword}) unlike the code's text`)
      await visible(page.locator('.metadata').getByText('4'))
      await visible(page.locator('.grid').getByText('user1@example.com'))
      const avatar = page.locator('.grid').getByRole('img', { name: 'Avatar of user1@example.com' })
      await visible(avatar)
      const look = await avatar.evaluate(img => {
        const style = getComputedStyle(img)
        return { fit: style.objectFit, ratio: img.getBoundingClientRect().width / img.getBoundingClientRect().height }
      })
      assert.equal(look.fit, 'contain', 'the image fit')
      assert.ok(Math.abs(look.ratio - 1) < 0.02, `the aspect ratio 1, not ${look.ratio}`)
      assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 0, 'choices replace Continue')
      await visible(page.getByRole('button', { name: 'Reject' }))
      await page.getByRole('button', { name: 'Approve' }).click()
      const result = page.locator('#result')
      await visible(result.getByText('hello from the browser'))
      await visible(result.getByText('2024-3-9'))
      await visible(result.getByText('user42@example.com'))
      await visible(result.getByText('Green', { exact: true }))
      await visible(result.getByText('Some notes'))
      await visible(result.getByText('approve', { exact: true }))
      // The step stays, marked with the button it was given.
      await visible(page.getByText('Submitted with Approve'))
      assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0)
    })
  }

  await step('a searchable select: type to filter, arrow keys, Enter, Escape', async () => {
    await page.goto(base + '/actions/pick')
    const country = page.getByRole('combobox', { name: 'Country' })
    await visible(country)
    assert.equal(await country.getAttribute('aria-expanded'), 'false')
    const listbox = page.getByRole('listbox', { name: 'Country' })
    await country.pressSequentially('a')
    await visible(listbox)
    assert.equal(await country.getAttribute('aria-expanded'), 'true')
    assert.equal(await country.getAttribute('aria-controls'), await listbox.getAttribute('id'))
    // "a": France, Japan (Asia), Kenya (Africa), Peru (South America).
    assert.equal(await listbox.getByRole('option').count(), 4)
    // Typed: the first option shown is the active one (automatic selection).
    const france = listbox.getByRole('option', { name: 'France' })
    assert.equal(await country.getAttribute('aria-activedescendant'), await france.getAttribute('id'))
    await country.press('ArrowDown')
    assert.notEqual(await country.getAttribute('aria-activedescendant'), await france.getAttribute('id'))
    await country.press('ArrowUp')
    assert.equal(await country.getAttribute('aria-activedescendant'), await france.getAttribute('id'))
    await country.pressSequentially('si')
    assert.deepEqual(await listbox.getByRole('option').allTextContents(), ['Japan Asia'])
    const japan = listbox.getByRole('option', { name: 'Japan' })
    await visible(japan.locator('img.option-image')) // decorative (alt=""): the label names it
    assert.equal(await country.getAttribute('aria-activedescendant'), await japan.getAttribute('id'))
    await country.press('Enter')
    await listbox.waitFor({ state: 'hidden' })
    assert.equal(await country.inputValue(), 'Japan')
    assert.equal(await country.getAttribute('aria-expanded'), 'false')
    // Opened again, every option shows, Japan as the selected one.
    await country.press('ArrowDown')
    await visible(listbox)
    assert.equal(await listbox.getByRole('option').count(), 4)
    assert.equal(await japan.getAttribute('aria-selected'), 'true')
    await country.press('Escape')
    await listbox.waitFor({ state: 'hidden' })
    assert.equal(await country.inputValue(), 'Japan')
  })

  await step('a multiple search keeps its default and earlier picks across queries', async () => {
    const members = page.getByRole('combobox', { name: 'Team members' })
    const chosen = page.getByRole('list', { name: 'Chosen: Team members' })
    await visible(chosen.getByText('user7@example.com', { exact: true }))
    const option = name => page.getByRole('option', { name })
    // First query: the fourth result, by the keyboard.
    await members.pressSequentially('user1')
    await visible(option('user12@example.com'))
    assert.equal(await members.getAttribute('aria-expanded'), 'true')
    // The first result is active; three down is the fourth.
    for (let i = 0; i < 3; i++) await members.press('ArrowDown')
    assert.equal(await members.getAttribute('aria-activedescendant'), await option('user12@example.com').getAttribute('id'))
    await members.press('Enter')
    await visible(chosen.getByText('user12@example.com', { exact: true }))
    assert.equal(await option('user12@example.com').getAttribute('aria-selected'), 'true')
    // Second query: other results; the picks stay.
    await members.fill('user2')
    await visible(option('user21@example.com'))
    assert.equal(await option('user12@example.com').count(), 0, 'the first results are gone')
    await visible(chosen.getByText('user12@example.com', { exact: true }))
    await visible(chosen.getByText('user7@example.com', { exact: true }))
    for (let i = 0; i < 2; i++) await members.press('ArrowDown')
    await members.press('Enter')
    await visible(chosen.getByText('user21@example.com', { exact: true }))
    // A click picks too, and a chip's button removes it.
    await option('user22@example.com').click()
    await visible(chosen.getByText('user22@example.com', { exact: true }))
    await chosen.getByRole('button', { name: 'Remove user22@example.com' }).click()
    assert.equal(await chosen.getByText('user22@example.com').count(), 0)
    assert.equal(await option('user22@example.com').getAttribute('aria-selected'), 'false')
    await members.press('Escape')
    assert.equal(await members.getAttribute('aria-expanded'), 'false')
    await page.getByRole('button', { name: 'Continue' }).click()
    const result = page.locator('#result')
    await visible(result.getByText('user7@example.com, user12@example.com, user21@example.com', { exact: true }))
    await visible(result.getByText('jp', { exact: true }))
  })

  await step('a disabled input answers its default value', async () => {
    await page.goto(base + '/actions/greet')
    const name = page.getByLabel('Name')
    await visible(name)
    assert.equal(await name.isDisabled(), true)
    assert.equal(await name.inputValue(), 'Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.locator('#result').getByText('Hello Ada', { exact: true }))
  })

  await step('a link from another site shows what would run and waits for a click', async () => {
    // Another site: the same server under its other loopback name.
    const other = base.includes('127.0.0.1') ? base.replace('127.0.0.1', 'localhost') : base.replace('localhost', '127.0.0.1')
    // In a tab of its own whose dashboard socket opens only after the
    // click: a person quicker than the socket is still heard.
    const tab = await context.newPage()
    let open
    const clicked = new Promise(resolve => { open = resolve })
    await tab.routeWebSocket(/\/api\/dashboard/, async ws => {
      await clicked
      ws.connectToServer()
    })
    await tab.goto(other + '/health')
    await tab.setContent(`<a href="${base}/actions/onboard?plan=gold">Onboard for free</a>`)
    await tab.getByRole('link', { name: 'Onboard for free' }).click()
    await visible(tab.getByRole('heading', { name: 'Run this action?' }))
    await visible(tab.getByText('gold', { exact: true }))
    assert.equal(await tab.getByLabel('Name').count(), 0, 'nothing runs before the click')
    await tab.getByRole('button', { name: 'Run Onboard a customer' }).click()
    open()
    await visible(tab.getByLabel('Name'))
    await tab.getByRole('button', { name: 'Cancel' }).click()
    await visible(tab.locator('#result-title').getByText('Canceled'))
    await tab.close()
  })

  await step('cancel a transaction, then start a new one', async () => {
    await page.goto(base + '/actions/onboard')
    await visible(page.getByLabel('Name'))
    await page.getByRole('button', { name: 'Cancel' }).click()
    await visible(page.locator('#result-title').getByText('Canceled'))
    await page.getByRole('link', { name: 'New transaction' }).click()
    await visible(page.getByLabel('Name'))
  })

  await step('a reload follows the running transaction; once done, its history', async () => {
    await page.goto(base + '/actions/team/add')
    await page.getByLabel('Member name').fill('Ken')
    await page.waitForURL(/_transaction=/)
    const running = page.url()
    await page.reload()
    assert.equal(page.url(), running)
    await page.getByLabel('Member name').fill('Ken')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('added Ken'))
    await page.goto(running)
    await page.waitForURL(/\/history\//)
    await visible(text('added Ken'))
  })

  await step('leaving a running transaction asks first; not once it ended, nor when the action says not to', async () => {
    const leave = async () => {
      prompts.length = 0
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'History' }).click()
      await page.waitForURL(/\/history$/)
      return prompts.splice(0)
    }
    await page.goto(base + '/actions/team/add')
    await page.waitForURL(/_transaction=/)
    await page.getByLabel('Member name').click() // Chromium asks only after a gesture
    assert.deepEqual(await leave(), ['beforeunload'], 'a running transaction')

    await page.goto(base + '/actions/team/add')
    await page.getByLabel('Member name').fill('Rob')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('added Rob'))
    assert.deepEqual(await leave(), [], 'a completed transaction')

    await page.goto(base + '/actions/team/add')
    await page.waitForURL(/_transaction=/)
    await page.getByRole('button', { name: 'Cancel' }).click()
    await visible(page.locator('#result-title').getByText('Canceled'))
    assert.deepEqual(await leave(), [], 'a canceled transaction')

    await page.goto(base + '/actions/fail')
    await visible(text('Something broke'))
    await page.locator('#result').click()
    assert.deepEqual(await leave(), [], 'a failed transaction')

    await page.goto(base + '/actions/note')
    await page.waitForURL(/_transaction=/)
    await page.getByLabel('Note').click()
    assert.deepEqual(await leave(), [], 'an action with warnOnClose: false')
  })

  await step('a notification shows at once, then a redirect, and the notification stays listed', async () => {
    await page.goto(base + '/actions/go')
    const toast = page.getByRole('status').filter({ hasText: 'Someone went elsewhere' })
    await visible(toast)
    await visible(toast.getByText('Heads up'))
    await toast.getByRole('button', { name: 'Dismiss notification' }).click()
    assert.equal(await toast.count(), 0, 'the notification was dismissed')
    await page.locator('form.io-form').getByRole('button', { name: 'Confirm', exact: true }).click()
    await page.waitForURL(/\/actions\/secret(\?|$)/)
    await visible(text('found'))
    await page.goto(base + '/notifications')
    await visible(text('Someone went elsewhere'))
  })

  await step('a queued action runs from the queue', async () => {
    const queued = await page.request.post(base + '/api/actions/enqueue', {
      headers: { authorization: `Bearer ${process.env.API_KEY}` },
      data: { slug: 'team/add', params: {} },
    })
    assert.ok(queued.ok(), `enqueue: ${queued.status()} ${await queued.text()}`)
    await page.goto(base + '/queue')
    await page.getByRole('link', { name: 'Run Add member' }).click()
    await page.getByLabel('Member name').fill('Linus')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('added Linus'))
    await page.goto(base + '/queue')
    await visible(text('Nothing is queued.'))
  })

  await step('history lists the transactions with their results', async () => {
    await page.goto(base + '/history')
    await visible(page.getByRole('link', { name: 'Onboard a customer' }).first())
    // Statuses as a person reads them, not the store's words.
    await visible(page.getByRole('row', { name: /^Fail Error / }).first())
    await visible(page.getByRole('row', { name: /^Onboard a customer Completed / }).first())
    assert.equal(await page.getByText(/completed · success|host_connection_dropped/i).count(), 0)
    await page.getByRole('link', { name: 'Fail' }).first().click()
    await visible(page.getByRole('heading', { name: 'Fail', exact: true }))
    await visible(text('Something broke'))
  })
})
