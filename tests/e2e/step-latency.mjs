// The step-latency bench's browser side (interval-server/benches/
// step_latency.rs): in headless Chromium, the time from a click on
// "Continue" to the next question's field in the page, measured in the page
// (performance.now() and a MutationObserver, so that the driver's own
// round trips do not count), for STEPS steps of the "steps" action; and the
// same for the baseline page at BASELINE_URL (a form that sends its value
// over a WebSocket to an echo server and shows the next field when the
// echo comes back), in the same run. Prints the figures and their ratio.
//
// Env: BASE_URL, BASELINE_URL, STEPS (60), LABEL (the host's name).
import { page, run, visible } from './harness.mjs'

const steps = Number(process.env.STEPS || 60)

// Runs in the page: fills the field labelled `label`, clicks the button
// named `button` and resolves with the milliseconds until a field labelled
// `next` is in the page.
function oneStep([label, next, button]) {
  const field = name => [...document.querySelectorAll('input')]
    .find(input => input.labels?.[0]?.textContent.trim().startsWith(name) && input.isConnected)
  return new Promise((resolve, reject) => {
    const input = field(label)
    if (!input) return reject(new Error(`no field ${label}`))
    input.value = 'x'
    input.dispatchEvent(new Event('input', { bubbles: true }))
    const submit = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === button)
    const started = performance.now()
    const observer = new MutationObserver(() => {
      if (field(next)) {
        observer.disconnect()
        resolve(performance.now() - started)
      }
    })
    observer.observe(document.body, { subtree: true, childList: true })
    submit.click()
  })
}

async function measure(url, button) {
  await page.goto(url)
  await visible(page.getByLabel('Step 1', { exact: true }))
  const times = []
  for (let i = 1; i <= steps; i++) {
    times.push(await page.evaluate(oneStep, [`Step ${i}`, `Step ${i + 1}`, button]))
  }
  times.sort((a, b) => a - b)
  const at = p => times[Math.round((times.length - 1) * p)]
  return { p50: at(0.5), p95: at(0.95), min: times[0] }
}

await run(async () => {
  const baseline = await measure(process.env.BASELINE_URL, 'Continue')
  const dashboard = await measure(process.env.BASE_URL + '/actions/steps', 'Continue')
  const ms = t => `${t.toFixed(1)} ms`
  console.log(`${process.env.LABEL}: p50 ${ms(dashboard.p50)}, p95 ${ms(dashboard.p95)}, min ${ms(dashboard.min)}` +
    `   baseline (bare page, WebSocket echo): p50 ${ms(baseline.p50)}, p95 ${ms(baseline.p95)}` +
    `   ratio p50 ${(dashboard.p50 / baseline.p50).toFixed(1)}x`)
})
