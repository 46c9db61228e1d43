#!/usr/bin/env node
// Proves validate.mjs accepts good messages and rejects bad ones: runs it on
// every file in fixtures/ and checks the exit code and the reported reason.
// Exit 0 when every expectation holds, 1 otherwise.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const validator = join(here, 'validate.mjs')
const fixtures = join(here, 'fixtures')

// file -> [expected exit code, substrings the output must contain]
const expectations = {
  'valid.json': [0, ['ok 0 call INITIALIZE_HOST', 'ok 8 call MARK_TRANSACTION_COMPLETE']],
  'invalid-action-key.json': [1, ['FAIL 0 call INITIALIZE_HOST', 'inputs.actions[0].backgrondable']],
  'invalid-props-key.json': [1, ['FAIL 0 call SEND_IO_CALL', 'toRender[0].props.placeholderr']],
  'invalid-component-key.json': [1, ['FAIL 0 call SEND_PAGE', 'children.toRender[0].isMultple']],
  'invalid-io-method.json': [1, ['unknown IO method "INPUT_TEXTT"']],
  'invalid-result.json': [1, ['inputs.result(json).data: Required']],
  'invalid-missing-required.json': [1, ['inputs.groups[0].name: Required']],
  'invalid-unknown-method.json': [1, ['unknown host->server method "SEND_SOMETHING"']],
  'invalid-response.json': [1, ['FAIL 0 response OPEN_PAGE', 'returns.pageKey: Required']],
  'invalid-void-response.json': [1, ['FAIL 0 response START_TRANSACTION']],
  'invalid-http.json': [1, ['body.deliveryInstructions: Required']],
  'invalid-mixed.json': [1, ['ok 0 call BEGIN_HOST_SHUTDOWN', 'FAIL 1 call SEND_LOG', 'inputs.idx']],
}

let passed = 0
let failed = 0
function check(name, args, expectedCode, mustContain) {
  const r = spawnSync(process.execPath, [validator, ...args], { encoding: 'utf8' })
  const out = `${r.stdout}${r.stderr}`
  const problems = []
  if (r.status !== expectedCode) problems.push(`exit ${r.status}, expected ${expectedCode}`)
  for (const s of mustContain) if (!out.includes(s)) problems.push(`output lacks ${JSON.stringify(s)}`)
  if (problems.length) {
    failed++
    console.log(`not ok ${name}: ${problems.join('; ')}\n${out.replace(/^/gm, '    ')}`)
  } else {
    passed++
    console.log(`ok ${name}`)
  }
}

const files = readdirSync(fixtures).filter(f => f.endsWith('.json')).sort()
for (const f of files) {
  if (!(f in expectations)) {
    failed++
    console.log(`not ok ${f}: fixture has no expectation in selftest.mjs`)
    continue
  }
  check(f, [join(fixtures, f)], ...expectations[f])
}
for (const f of Object.keys(expectations))
  if (!files.includes(f)) {
    failed++
    console.log(`not ok ${f}: fixture missing`)
  }

// fixtures written on the fly (the brief's examples) and usage/IO errors
const tmp = mkdtempSync(join(tmpdir(), 'interop-selftest-'))
try {
  const init = {
    actions: [{ slug: 'hello', name: 'Hello' }],
    groups: [],
    sdkName: '@interval/sdk',
    sdkVersion: '2.1.0',
    timestamp: 1700000000000,
  }
  const write = (name, records) => {
    const p = join(tmp, name)
    writeFileSync(p, JSON.stringify(records))
    return p
  }
  check('tmp: INITIALIZE_HOST valid', [write('a.json', [{ kind: 'call', method: 'INITIALIZE_HOST', inputs: init }])], 0, ['ok 0'])
  const bad = structuredClone(init)
  bad.actions[0].backgrondable = true
  check('tmp: INITIALIZE_HOST misspelled key', [write('b.json', [{ kind: 'call', method: 'INITIALIZE_HOST', inputs: bad }])], 1, ['backgrondable'])
  check('tmp: result data is arbitrary JSON', [write('c.json', [{
    kind: 'call', method: 'MARK_TRANSACTION_COMPLETE',
    inputs: { transactionId: 't', resultStatus: 'SUCCESS', result: '{"schemaVersion":1,"status":"SUCCESS","data":{"a":1}}' },
  }])], 0, ['ok 0'])
  check('usage: no argument', [], 2, ['usage'])
  check('io: missing file', [join(tmp, 'nope.json')], 2, ['cannot read'])
  writeFileSync(join(tmp, 'obj.json'), '{}')
  check('io: not an array', [join(tmp, 'obj.json')], 2, ['not a JSON array'])
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

console.log(`selftest: ${passed} passed, ${failed} failed`)
process.exitCode = failed ? 1 : 0
