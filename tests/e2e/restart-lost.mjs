// A server restart with a form open, and the host gone for good
// (interval-server/tests/restart_browser.rs): the tab reconnects by itself,
// then says plainly that the transaction cannot continue, and offers
// "Run again".
import assert from 'node:assert/strict'
import { base, page, step, visible, run, expectReconnects } from './harness.mjs'

// The server (or node) goes away: the page's reconnects are refused meanwhile.
expectReconnects()

await run(async () => {
  await step('the action asks its question', async () => {
    await page.goto(base + '/actions/ask')
    await visible(page.getByLabel('Name'))
  })

  await step('after the restart the tab says the transaction is lost, and offers to run it again', async () => {
    await visible(page.getByText('reconnecting', { exact: false }))
    await page.getByText('this transaction is lost', { exact: false }).waitFor({ timeout: 30000 })
    const again = page.getByRole('link', { name: 'Run again' })
    await visible(again)
    assert.equal(new URL(await again.getAttribute('href'), base).pathname, '/actions/ask')
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).isVisible(), false)
  })
})
