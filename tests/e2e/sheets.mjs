// The spreadsheet input and an upload to host-provided URLs, in a real
// headless Chromium, as a person would: the grid's cells found by their
// names ("Row 2 Amount"), a number refused, a block pasted from a
// spreadsheet, rows added and removed; then a file uploaded to a store on
// another origin (the URLs the host makes), a refused upload explained,
// and the action reading the file back. Run by interval-server/tests/e2e.rs
// with a host (Node or Rust) serving the routes of node-host.mjs.
//
// Env: BASE_URL, CHROMIUM (see harness.mjs), STORE_URL (the store the
// host's URLs point at).
import assert from 'node:assert/strict'
import { base, context, page, step, visible, text, run } from './harness.mjs'

const store = process.env.STORE_URL
assert.ok(store, 'STORE_URL is required')

// Every request the page makes: none may go to the store itself.
const requested = []
page.on('request', request => requested.push(request.url()))

const cell = name => page.getByLabel(name, { exact: true })

/** Pastes `text` into the focused element, as Ctrl+V does. */
async function paste(text) {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
  await page.evaluate(t => navigator.clipboard.writeText(t), text)
  await page.keyboard.press('ControlOrMeta+V')
}

await run(async () => {
  await step('a spreadsheet shows its typed columns and default rows', async () => {
    await page.goto(base + '/actions/stock')
    const grid = page.getByRole('group', { name: 'Stock' })
    await visible(grid)
    await visible(grid.getByRole('columnheader', { name: 'Amount (number)' }))
    assert.equal(await cell('Row 1 Item').inputValue(), 'Bolts')
    assert.equal(await cell('Row 1 Amount').inputValue(), '3')
    assert.equal(await cell('Row 1 Paid').isChecked(), true)
    assert.equal(await cell('Row 2 Item').inputValue(), 'Nuts')
    assert.equal(await cell('Row 2 Paid').isChecked(), false)
  })

  await step('a number column refuses text, with a message naming the cell', async () => {
    await cell('Row 2 Amount').fill('abc')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(text('Row 2: Amount must be a number (not “abc”).'))
    await cell('Row 2 Amount').fill('7')
  })

  await step('add a row and paste a block copied from a spreadsheet into it', async () => {
    await page.getByRole('button', { name: 'Add row' }).click()
    const first = cell('Row 3 Item')
    await visible(first)
    assert.ok(await first.evaluate(el => el === document.activeElement), 'the new row has the focus')
    await paste('Washers\t12\tyes\nScrews\t2.5\tno\n')
    await visible(cell('Row 4 Item'))
    assert.equal(await cell('Row 3 Item').inputValue(), 'Washers')
    assert.equal(await cell('Row 3 Amount').inputValue(), '12')
    assert.equal(await cell('Row 3 Paid').isChecked(), true)
    assert.equal(await cell('Row 4 Item').inputValue(), 'Screws')
    assert.equal(await cell('Row 4 Amount').inputValue(), '2.5')
    assert.equal(await cell('Row 4 Paid').isChecked(), false)
    // The arrows move between rows, in the same column.
    await cell('Row 3 Amount').press('ArrowDown')
    assert.ok(await cell('Row 4 Amount').evaluate(el => el === document.activeElement), 'ArrowDown moves down')
  })

  await step('remove a row: the rows after it are renumbered', async () => {
    await page.getByRole('button', { name: 'Remove row 1' }).click()
    assert.equal(await cell('Row 1 Item').inputValue(), 'Nuts')
    assert.equal(await cell('Row 3 Item').inputValue(), 'Screws')
    assert.equal(await cell('Row 4 Item').count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Remove row 4' }).count(), 0)
  })

  await step('the action gets the rows as typed objects', async () => {
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByText('Completed', { exact: true }))
    await visible(page.locator('#result').getByText('Nuts:7:false, Washers:12:true, Screws:2.5:false'))
    await visible(page.locator('#result').getByText('3', { exact: true }))
  })

  const receipt = async (name, contents) => {
    await page.getByLabel('Receipt').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(contents) })
  }

  await step('an upload the store refuses says so', async () => {
    await page.goto(base + '/actions/receipt')
    await visible(page.getByLabel('Receipt'))
    await receipt('refused.txt', 'nope')
    await visible(text('refused.txt could not be uploaded: The storage at 127.0.0.1 refused the file (HTTP 403).'))
    await visible(page.locator('.uploads').getByText('refused.txt'))
    assert.equal(await page.getByLabel('Receipt').getAttribute('aria-invalid'), 'true')
  })

  await step('an upload to the host’s URLs on another origin shows its name and finishes', async () => {
    await receipt('notes.txt', 'hello from the browser')
    const uploads = page.locator('.uploads')
    await visible(uploads.getByText('notes.txt'))
    await visible(uploads.getByText('uploaded'))
    assert.equal(await uploads.getByText('refused.txt').count(), 0)
    // The picker still holds it after the host's new render of the form.
    assert.deepEqual(await page.getByLabel('Receipt').evaluate(el => Array.from(el.files, f => f.name)), ['notes.txt'])
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.getByText('Completed', { exact: true }))
    await visible(page.locator('#result').getByText('notes.txt'))
    // The action read the file back from the store's download URL.
    await visible(page.locator('#result').getByText('hello from the browser'))
  })

  await step('the page kept its policy: the server relayed the files', async () => {
    assert.deepEqual(requested.filter(url => url.startsWith(store)), [], 'no request from the page to the store')
    const csp = (await page.request.get(base + '/actions/receipt')).headers()['content-security-policy']
    assert.match(csp, /connect-src 'self';/)
  })
})
