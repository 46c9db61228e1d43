// The two screens of Interval's own screenshots (../shared/reference/),
// with the same action (hello-node-host.mjs) and window size: the action
// list, and a result with the step that led to it.
//
// Env: BASE_URL, CHROMIUM (see harness.mjs); SCREENSHOTS (a directory:
// also writes ours-action-list.png and ours-action-result.png there, for
// the README's side-by-side).
import assert from 'node:assert/strict'
import { base, page, screenshot, step, visible, text, run } from './harness.mjs'

await run(async () => {
  await page.setViewportSize({ width: 1400, height: 900 })

  await step('the action list, as Interval shows it', async () => {
    await page.goto(base + '/')
    const action = page.getByRole('link', { name: /Hello world/ })
    await visible(action)
    await visible(page.getByText('Feasibility test action', { exact: true }))
    await screenshot('ours-action-list')
  })

  await step('a result, with the step that led to it', async () => {
    await page.getByRole('link', { name: /Hello world/ }).click()
    await page.getByLabel('Your name').fill('Feasibility')
    await page.getByRole('button', { name: 'Continue' }).click()
    await visible(page.locator('#result-title').getByText('Completed'))
    await visible(text('Hello, Feasibility'))
    // The step stays above the result, answered.
    const name = page.getByLabel('Your name')
    assert.equal(await name.inputValue(), 'Feasibility')
    assert.equal(await name.isDisabled(), true)
    // Marked with the button it was given, as Interval marks it.
    await visible(page.getByText('Submitted with Continue'))
    assert.equal(await page.getByRole('button', { name: 'Continue' }).count(), 0)
    await screenshot('ours-action-result')
  })
})
