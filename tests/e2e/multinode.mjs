// Several active nodes (interval-server/tests/failover.rs): this browser is
// on node B, the hosts on node A. A form through the official Node SDK
// host, then one through the Rust host, during which node A is killed: the
// same tab (its connection to node B stays) keeps the question. An answer
// given while node A is away is refused with "try again" (not lost, not
// given twice); once node B serves the transaction the answer completes it.
// No reload, no "leave this page?".
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { base, page, prompts, step, visible, run, expectReconnects } from './harness.mjs'

// The server (or node) goes away: the page's reconnects are refused meanwhile.
expectReconnects()

await run(async () => {
  await step('the Node host\'s action, on the other node, completes', async () => {
    await page.goto(base + '/actions/greet_node')
    await page.getByLabel('Name').fill('Grace')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.locator('#result').getByText('Hello from Node, Grace!'))
  })

  await step('the Rust host\'s action asks its question', async () => {
    await page.goto(base + '/actions/ask')
    await visible(page.getByLabel('Name'))
    await page.getByLabel('Name').fill('typed before the node went away')
  })

  // The test kills node A and writes KILLED, then TAKEN_OVER once node B
  // runs the transaction (its host replayed it there).
  const signalled = async (file, what) => {
    const deadline = Date.now() + 30000
    while (!existsSync(file)) {
      assert.ok(Date.now() < deadline, what)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  const result = page.locator('#result').getByText('Hello, Ada!')
  let completed = false

  await step('an answer given while the hosts\' node is away is not lost: the tab says to try again', async () => {
    await signalled(process.env.KILLED, 'node A was not killed')
    await page.getByLabel('Name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    const retry = page.getByText('try again', { exact: false })
    await Promise.race([visible(retry), visible(result)].map(p => p.catch(() => {})))
    completed = await result.isVisible()
    if (!completed) await visible(retry)
    process.stderr.write(`e2e:   (${completed ? 'went through' : 'asked to try again'})\n`)
  })

  await step('node B takes over; the question stays in the tab', async () => {
    await signalled(process.env.TAKEN_OVER, 'node B did not take the transaction over')
    if (completed) return
    await visible(page.getByLabel('Name'))
    assert.equal(await page.getByRole('link', { name: 'Run again' }).isVisible(), false,
      'the transaction goes on: no "Run again"')
  })

  await step('the answer completes the transaction in the same tab, once', async () => {
    if (!completed) {
      await page.getByLabel('Name').fill('Ada')
      await page.getByRole('button', { name: 'Continue' }).click()
    }
    await visible(result)
    assert.deepEqual(prompts, [], 'nothing asked to reload or leave')
  })
})
