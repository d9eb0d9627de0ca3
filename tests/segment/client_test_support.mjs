// What the SDK test scripts share (segment_client_test.mjs, rudderstack_client_test.mjs,
// snowplow_tracker_test.mjs): their command line, the check log, reading touchpoint's REST API back and
// the one JSON summary line that tests/e2e/*.py parse.
import { parseArgs } from 'node:util'

// --url, --key (the write key the SDK sends), --read-key (a full-scope key for GET /api/v1/...), or
// TP_URL, TP_WRITE_KEY, TP_READ_KEY; `options` adds script-specific flags.
export function clientArgs(usage, options = {}) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.TP_URL },
      key: { type: 'string', default: process.env.TP_WRITE_KEY },
      'read-key': { type: 'string', default: process.env.TP_READ_KEY },
      ...options,
    },
  })
  if (!values.url || !values.key || !values['read-key']) {
    console.error(`usage: ${usage}`)
    process.exit(2)
  }
  return values
}

// check(condition, what, detail) logs one line to stderr and remembers failures.
export function checker() {
  const failures = []
  const check = (condition, what, detail) => {
    console.error(`${condition ? 'ok  ' : 'FAIL'} - ${what}${condition || detail === undefined ? '' : ': ' + JSON.stringify(detail)}`)
    if (!condition) failures.push(what)
    return condition
  }
  return { check, failures }
}

// GET with the read key; throws on a non-2xx answer.
export function apiGetter(url, readKey) {
  return async (path) => {
    const response = await fetch(new URL(path, url), { headers: { Authorization: `Bearer ${readKey}` } })
    const body = await response.json().catch(() => null)
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${JSON.stringify(body)}`)
    return body
  }
}

// Every event of the tenant (at most 20 pages of 200).
export async function allEvents(get) {
  const events = []
  for (let cursor = null, pages = 0; pages < 20; pages++) {
    const page = await get('/api/v1/events?limit=200' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''))
    events.push(...page.items)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return events
}

// Prints the summary line and exits 0 when every check passed.
export function finish(summary, failures) {
  summary.ok = failures.length === 0
  summary.failures = failures
  console.log(JSON.stringify(summary))
  process.exit(summary.ok ? 0 : 1)
}
