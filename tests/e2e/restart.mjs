// A server restart with a form open (interval-server/tests/restart_browser.rs
// restarts the server once the question is out): the same tab reconnects by
// itself, shows the question again when the host replays it, and the answer
// completes the transaction. No reload, no "leave this page?".
import assert from 'node:assert/strict'
import { base, page, prompts, step, visible, run, expectReconnects } from './harness.mjs'

// The server (or node) goes away: the page's reconnects are refused meanwhile.
expectReconnects()

await run(async () => {
  await step('the action asks its question', async () => {
    await page.goto(base + '/actions/ask')
    await visible(page.getByLabel('Name'))
    // Typed, not sent: the form after the restart is a new one.
    await page.getByLabel('Name').fill('typed before the restart')
  })

  await step('the server restarts: the tab says so and reconnects by itself', async () => {
    await visible(page.getByText('reconnecting', { exact: false }))
    // Back: the host replayed its question into the same tab (a new form,
    // empty; "waiting for the question" shows until it comes).
    await page.waitForFunction(() => {
      const field = [...document.querySelectorAll('#io input')].find(i => i.labels?.[0]?.textContent.includes('Name'))
      return field && field.value === '' && !document.body.textContent.includes('reconnecting')
    }, null, { timeout: 30000 })
    assert.equal(await page.getByRole('link', { name: 'Run again' }).isVisible(), false,
      'the transaction goes on: no "Run again": ' + await page.locator('main').innerText())
  })

  await step('the answer completes the transaction in the same tab', async () => {
    await page.getByLabel('Name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.locator('#result').getByText('Hello, Ada!'))
    assert.deepEqual(prompts, [], 'nothing asked to reload or leave')
  })
})
