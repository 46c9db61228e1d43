// Several active nodes (interval-server/tests/failover.rs): this browser is
// on node B, the hosts on node A. A form through the official Node SDK
// host, then one through the Rust host, during which node A is killed: the
// same tab (its connection to node B stays) keeps the question, which node
// B now serves, and the answer completes the transaction. No reload, no
// "leave this page?".
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { base, page, prompts, step, visible, run } from './harness.mjs'

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

  await step('the hosts\' node goes away; the question stays in the tab', async () => {
    // The test kills node A, then writes TAKEN_OVER once node B runs the
    // transaction (its host replayed it there).
    const deadline = Date.now() + 30000
    while (!existsSync(process.env.TAKEN_OVER)) {
      assert.ok(Date.now() < deadline, 'node B did not take the transaction over')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    await visible(page.getByLabel('Name'))
    assert.equal(await page.getByRole('link', { name: 'Run again' }).isVisible(), false,
      'the transaction goes on: no "Run again"')
  })

  await step('the answer completes the transaction in the same tab', async () => {
    await page.getByLabel('Name').fill('Ada')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.locator('#result').getByText('Hello, Ada!'))
    assert.deepEqual(prompts, [], 'nothing asked to reload or leave')
  })
})
