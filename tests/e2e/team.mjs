// Two people of one organization in a real headless Chromium, one after the
// other in the same browser: Sam (action runner, team support) and Fay
// (developer, team finance), then the owner (admin). Each sees and runs
// only what their teams may; a queued action is in its assignee's queue
// only; Fay's development actions are hers alone; revoking her key on the
// keys page disconnects her host (checked by interval-server/tests/team_browser.rs).
//
// Env: BASE_URL, PASSWORD (everyone's, for the test).
import assert from 'node:assert/strict'
import { base, page, step, visible, run } from './harness.mjs'

const password = process.env.PASSWORD
assert.ok(password, 'PASSWORD is required')

const actionLink = name => page.getByRole('link', { name, exact: true })
const heading = name => page.getByRole('heading', { name, exact: true })

async function signIn(email) {
  await page.goto(base + '/')
  await page.waitForURL(/\/login$/)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(base + '/')
}

async function signOut() {
  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await page.waitForURL(/\/login$/)
}

async function assertListed(names, hidden) {
  for (const name of names) await visible(actionLink(name))
  for (const name of hidden) {
    assert.equal(await actionLink(name).count(), 0, `${name} is listed but should not be`)
  }
}

await run(async () => {
  await step('Sam signs in and sees what support may run', async () => {
    await signIn('sam@example.com')
    await visible(page.getByText('Signed in as', { exact: false }))
    await assertListed(['Refund an order', 'Check status'], ['Run payroll', 'Try an experiment'])
    assert.equal(await page.getByRole('button', { name: 'Switch to development' }).count(), 0,
      'an action runner has no development environment')
    assert.equal(await page.getByRole('link', { name: 'People' }).count(), 0, 'only admins manage people')
  })

  await step('an action of another team does not exist for Sam', async () => {
    const response = await page.goto(base + '/actions/payroll')
    assert.equal(response.status(), 404)
    await visible(heading('Not found'))
  })

  await step("Sam's queue has the refund queued for him, not Fay's payroll", async () => {
    await page.goto(base + '/queue')
    await visible(page.getByText('Queued', { exact: false }).first())
    assert.equal(await page.getByRole('link', { name: 'Run Refund an order' }).count(), 1)
    assert.equal(await page.getByRole('link', { name: 'Run Run payroll' }).count(), 0)
  })

  await step('Sam runs it from his queue, and the host sees Sam', async () => {
    await page.getByRole('link', { name: 'Run Refund an order' }).click()
    await visible(page.locator('#result').getByText('sam@example.com ran this for A-1 (teams: support)'))
  })

  await step('Sam was notified of the assignment', async () => {
    await page.goto(base + '/notifications')
    await visible(page.getByText('An action was assigned to you'))
  })

  await step('history says who ran it', async () => {
    await page.goto(base + '/history')
    await visible(page.getByRole('cell', { name: 'Sam (sam@example.com)' }))
    await signOut()
  })

  await step('Fay signs in and sees what finance may run, and her own queue', async () => {
    await signIn('fay@example.com')
    await assertListed(['Run payroll', 'Check status'], ['Refund an order', 'Try an experiment'])
    await page.goto(base + '/queue')
    assert.equal(await page.getByRole('link', { name: 'Run Run payroll' }).count(), 1)
    assert.equal(await page.getByRole('link', { name: 'Run Refund an order' }).count(), 0)
    await page.goto(base + '/history')
    assert.equal(await page.getByRole('cell', { name: 'Sam (sam@example.com)' }).count(), 0,
      "Fay does not read support's runs")
  })

  await step("Fay's development environment has her experiment, clearly marked", async () => {
    await page.goto(base + '/')
    await page.getByRole('button', { name: 'Switch to development' }).click()
    await page.waitForURL(base + '/')
    await visible(page.getByRole('note').getByText('Development'))
    await assertListed(['Try an experiment'], ['Run payroll', 'Refund an order'])
    await actionLink('Try an experiment').click()
    await visible(page.locator('#result').getByText('fay@example.com ran this for no order (teams: finance)'))
    await page.goto(base + '/')
    await page.getByRole('button', { name: 'Switch to production' }).click()
    await page.waitForURL(base + '/')
    await signOut()
  })

  await step('the owner sees every team\'s actions, but not Fay\'s development ones', async () => {
    await signIn('admin@localhost')
    await assertListed(['Refund an order', 'Run payroll', 'Check status'], ['Try an experiment'])
    await page.getByRole('button', { name: 'Switch to development' }).click()
    await page.waitForURL(base + '/')
    await assertListed([], ['Try an experiment'])
    const response = await page.goto(base + '/actions/experiment')
    assert.equal(response.status(), 404)
    await page.goto(base + '/')
    await page.getByRole('button', { name: 'Switch to production' }).click()
  })

  await step("the owner revokes Fay's key on the keys page", async () => {
    await page.goto(base + '/keys')
    await visible(page.getByRole('cell', { name: "Fay's laptop", exact: true }))
    await page.getByRole('button', { name: "Revoke Fay's laptop" }).click()
    await page.waitForURL(base + '/keys')
    const row = page.getByRole('row').filter({ hasText: "Fay's laptop" })
    await visible(row.getByText('Revoked', { exact: false }))
    assert.equal(await page.getByRole('button', { name: "Revoke Fay's laptop" }).count(), 0)
  })

  await step('the audit log tells who did what', async () => {
    await page.goto(base + '/audit')
    await visible(page.getByRole('cell', { name: 'key revoked' }))
    await visible(page.getByRole('cell', { name: 'signed in' }).first())
    await visible(page.getByRole('cell', { name: 'action run' }).first())
  })
})
