#!/usr/bin/env node
// Validates wire messages recorded from the interval-rs host against the
// official @interval/sdk zod schemas (see README.md).
//
// usage: node validate.mjs <messages.json>
//
// The file is a JSON array of records:
//   {"kind":"call","method":"<HOST->SERVER METHOD>","inputs":<json>}
//   {"kind":"response","method":"<SERVER->HOST METHOD>","returns":<json|null>}
//   {"kind":"http","path":"/api/actions/enqueue"|"/api/actions/dequeue"|"/api/notify"|"/api/hosts/declare","body":<json>}
// Extra kinds, for checking a fake server used in Rust tests:
//   {"kind":"server_call","method":"<SERVER->HOST METHOD>","inputs":<json>}
//   {"kind":"server_response","method":"<HOST->SERVER METHOD>","returns":<json|null>}
//
// Prints `ok <i> <kind> <method/path>` or `FAIL <i> <kind> <method/path>: <reason>`
// per record. Exit 0 all ok, 1 any failure, 2 usage/IO error.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  ACTION_RESULT,
  HOST_TO_SERVER,
  HTTP,
  IO_RENDER,
  LAYOUT_SCHEMA,
  hostSchema,
  ioSchema,
  superjson,
  wsServerSchema,
} from './schemas.mjs'

class Invalid extends Error {}

const isPlainObject = v =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function deepEqual(a, b) {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null) return false
  if (typeof a !== 'object') return Number.isNaN(a) && Number.isNaN(b)
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  const ka = Object.keys(a).filter(k => a[k] !== undefined)
  const kb = Object.keys(b).filter(k => b[k] !== undefined)
  return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]))
}

const joinPath = (base, key) =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : String(key)

// zod strips unknown keys: every key of an input object must survive in the
// parsed output. Schemas that accept anything (any/unknown/record/passthrough)
// keep the keys, so only stripped keys are reported. Only walks where the two
// differ. Extra output keys (from .default()) are fine.
function unknownKeys(input, output, path, found = []) {
  if (deepEqual(input, output)) return found
  if (Array.isArray(input)) {
    if (Array.isArray(output))
      input.forEach((x, i) => unknownKeys(x, output[i], joinPath(path, i), found))
    return found
  }
  if (isPlainObject(input) && isPlainObject(output)) {
    for (const [k, v] of Object.entries(input)) {
      if (v === undefined) continue
      if (!Object.prototype.hasOwnProperty.call(output, k)) found.push(joinPath(path, k))
      else unknownKeys(v, output[k], joinPath(path, k), found)
    }
  }
  // transformed values (e.g. INPUT_BOOLEAN defaultValue null -> false): nothing to check
  return found
}

function formatIssue(issue, base) {
  const p = issue.path.reduce(joinPath, base) || '<root>'
  let s = `${p}: ${issue.message}`
  if (issue.code === 'invalid_union' && issue.unionErrors) {
    // branch issues carry full paths (from the root of this parse)
    const branches = issue.unionErrors.map(e =>
      e.issues.map(i => formatIssue(i, base)).join('; ')
    )
    s += ` {${branches.join(' | ')}}`
  }
  return s
}

// Parse strictly; returns the parsed output or throws Invalid.
function strictParse(schema, value, base) {
  const r = schema.safeParse(value)
  if (!r.success)
    throw new Invalid(r.error.issues.map(i => formatIssue(i, base)).join('; '))
  const unknown = unknownKeys(value, r.data, base)
  if (unknown.length)
    throw new Invalid(`unknown key(s): ${unknown.join(', ')}`)
  return r.data
}

function parseJsonString(str, base) {
  if (typeof str !== 'string') throw new Invalid(`${base}: expected a JSON string`)
  try {
    return JSON.parse(str)
  } catch (e) {
    throw new Invalid(`${base}: not valid JSON (${e.message})`)
  }
}

function checkSuperjsonMeta(json, meta, base) {
  if (meta === undefined || meta === null) return
  try {
    superjson.deserialize({ json, meta })
  } catch (e) {
    throw new Invalid(`${base}: superjson meta does not apply (${e.message})`)
  }
}

// IO render object (SEND_IO_CALL.ioCall, SEND_PAGE.page.children)
function validateRender(render, base) {
  strictParse(IO_RENDER, render, base)
  render.toRender.forEach((c, i) => {
    const cb = `${base}.toRender[${i}]`
    const def = ioSchema[c.methodName]
    if (!def) throw new Invalid(`${cb}.methodName: unknown IO method ${JSON.stringify(c.methodName)}`)
    // props is the superjson `json` half; propsMeta (if any) is its meta
    strictParse(def.props, c.props, `${cb}.props`)
    checkSuperjsonMeta(c.props, c.propsMeta, `${cb}.propsMeta`)
    if (c.isMultiple && !def.supportsMultiple)
      throw new Invalid(`${cb}.isMultiple: ${c.methodName} does not support multiple`)
  })
}

const nested = {
  SEND_IO_CALL(inputs) {
    validateRender(parseJsonString(inputs.ioCall, 'inputs.ioCall'), 'inputs.ioCall(json)')
  },
  SEND_PAGE(inputs) {
    if (inputs.page === undefined || inputs.page === null) return
    const page = parseJsonString(inputs.page, 'inputs.page')
    const b = 'inputs.page(json)'
    strictParse(LAYOUT_SCHEMA, page, b)
    if (page.children) validateRender(page.children, `${b}.children`)
  },
  MARK_TRANSACTION_COMPLETE(inputs) {
    if (inputs.result === undefined) return
    const result = parseJsonString(inputs.result, 'inputs.result')
    const b = 'inputs.result(json)'
    strictParse(ACTION_RESULT, result, b)
    if (result.status === 'SUCCESS') checkSuperjsonMeta(result.data, result.meta, `${b}.meta`)
    if (
      inputs.resultStatus !== undefined &&
      ['SUCCESS', 'FAILURE'].includes(inputs.resultStatus) &&
      inputs.resultStatus !== result.status
    )
      throw new Invalid(
        `inputs.resultStatus ${inputs.resultStatus} != ${b}.status ${result.status}`
      )
  },
}

export function validateRecord(rec) {
  if (!isPlainObject(rec)) throw new Invalid('record is not an object')
  switch (rec.kind) {
    case 'call': {
      if (!HOST_TO_SERVER.includes(rec.method))
        throw new Invalid(`unknown host->server method ${JSON.stringify(rec.method)}`)
      strictParse(wsServerSchema[rec.method].inputs, rec.inputs, 'inputs')
      nested[rec.method]?.(rec.inputs)
      return
    }
    case 'response': {
      const def = hostSchema[rec.method]
      if (!def) throw new Invalid(`unknown server->host method ${JSON.stringify(rec.method)}`)
      strictParse(def.returns, rec.returns, 'returns')
      return
    }
    case 'server_call': {
      const def = hostSchema[rec.method]
      if (!def) throw new Invalid(`unknown server->host method ${JSON.stringify(rec.method)}`)
      strictParse(def.inputs, rec.inputs, 'inputs')
      return
    }
    case 'server_response': {
      if (!HOST_TO_SERVER.includes(rec.method))
        throw new Invalid(`unknown host->server method ${JSON.stringify(rec.method)}`)
      strictParse(wsServerSchema[rec.method].returns, rec.returns, 'returns')
      return
    }
    case 'http': {
      const def = HTTP[rec.path]
      if (!def) throw new Invalid(`unknown HTTP path ${JSON.stringify(rec.path)}`)
      strictParse(def.inputs, rec.body, 'body')
      return
    }
    default:
      throw new Invalid(`unknown record kind ${JSON.stringify(rec.kind)}`)
  }
}

export function validateAll(records, log = console.log) {
  let failed = 0
  records.forEach((rec, i) => {
    const kind = rec?.kind
    const what = kind === 'http' ? rec?.path : rec?.method
    const label = `${i} ${kind} ${what}`
    try {
      validateRecord(rec)
      log(`ok ${label}`)
    } catch (e) {
      if (!(e instanceof Invalid)) throw e
      failed++
      log(`FAIL ${label}: ${e.message}`)
    }
  })
  return failed
}

function main(argv) {
  if (argv.length !== 1) {
    console.error('usage: node validate.mjs <messages.json>')
    return 2
  }
  let records
  try {
    records = JSON.parse(readFileSync(argv[0], 'utf8'))
  } catch (e) {
    console.error(`error: cannot read ${argv[0]}: ${e.message}`)
    return 2
  }
  if (!Array.isArray(records)) {
    console.error(`error: ${argv[0]} is not a JSON array`)
    return 2
  }
  return validateAll(records) ? 1 : 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2))
}
