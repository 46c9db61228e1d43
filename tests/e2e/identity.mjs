// The CONFIRM_IDENTITY password form in a real headless Chromium: log in,
// open an action that asks to confirm identity, give a wrong password (the
// form shows the error and the action keeps waiting), then the right one
// (the host hears `true`). Run by interval-server/tests/e2e.rs
// against a server with a dashboard password and a Rust host whose action
// `confirm` answers "host got true" or "host got false".
//
// Env: BASE_URL, CHROMIUM (see harness.mjs), PASSWORD (the dashboard's).
import assert from 'node:assert/strict'
import { base, page, step, visible, run } from './harness.mjs'

const password = process.env.PASSWORD
assert.ok(password, 'PASSWORD is required')

await run(async () => {
  await step('the login page lets the person in', async () => {
    await page.goto(base + '/')
    await page.waitForURL(/\/login$/)
    await page.getByLabel('Email').fill('admin@localhost')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(base + '/')
    await visible(page.getByRole('link', { name: 'Delete everything' }))
  })

  const field = page.getByLabel('Your password')
  const confirm = page.locator('form.io-form').getByRole('button', { name: 'Confirm', exact: true })
  const result = page.locator('#result')

  await step('the action asks for your password', async () => {
    await page.getByRole('link', { name: 'Delete everything' }).click()
    await visible(page.getByRole('heading', { name: 'Delete everything?' }))
    await visible(field)
    assert.equal(await field.getAttribute('type'), 'password', 'the identity field is a password field')
    assert.equal(await field.inputValue(), '', 'the password field starts empty')
  })

  await step('a wrong password shows an error and the action keeps waiting', async () => {
    await field.fill('not-the-password')
    await confirm.click()
    const error = page.locator('form.io-form [data-error-for="0"]')
    await visible(error.getByText('Wrong password', { exact: false }))
    assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the password field is marked invalid')
    // The host heard nothing: no result, the form is still there and usable.
    await page.waitForTimeout(500)
    assert.equal(await page.locator('#result-title').count(), 0, 'a wrong password ended the transaction')
    assert.equal(await page.getByText('host got', { exact: false }).count(), 0, 'the host heard an answer')
    await visible(field)
    assert.equal(await confirm.isEnabled(), true, 'Confirm can be pressed again')
  })

  await step('the right password completes the transaction with the host hearing true', async () => {
    await field.fill(password)
    await confirm.click()
    await visible(page.locator('#result-title').getByText('Completed', { exact: true }))
    await visible(result.getByText('host got true', { exact: true }))
  })
})
