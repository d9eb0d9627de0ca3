// Sends events to a running touchpoint with Segment's own Node.js library (@segment/analytics-node,
// pinned in package-lock.json) and checks through touchpoint's REST API that they arrived.
// It starts nothing itself: tests/e2e/segment_client.py starts the server, creates the keys and runs
//
//   node tests/segment/segment_client_test.mjs --url http://127.0.0.1:PORT --key tpk_… --read-key tpk_…
//
// (or TP_URL, TP_WRITE_KEY, TP_READ_KEY). --key is the write key the library sends as HTTP Basic
// credentials; --read-key is a full-scope key for GET /api/v1/... . Prints one JSON line with what it
// found ({"ok": true, ...}) and exits 0 when every check passed, 1 otherwise.
import { Analytics } from '@segment/analytics-node'
import { randomUUID } from 'node:crypto'
import { allEvents, apiGetter, checker, clientArgs, finish } from './client_test_support.mjs'

const args = clientArgs('segment_client_test.mjs --url URL --key WRITE_KEY --read-key FULL_KEY')
const { check, failures } = checker()

const run = randomUUID().slice(0, 8)
const userId = `seg-user-${run}`
const email = `Jana.${run}@Example.com`
const anonymousId = `anon-${run}`
const laterUserId = `seg-later-${run}`
const laterEmail = `later.${run}@example.com`

// Small batches (flushAt) so that the library sends several /v1/batch requests; few retries so that
// a broken server fails the test quickly instead of backing off for minutes.
const analytics = new Analytics({
  writeKey: args.key,
  host: args.url,
  path: '/v1/batch',
  flushAt: 2,
  flushInterval: 200,
  maxRetries: 2,
  httpRequestTimeout: 10000,
})
const responses = []
const errors = []
analytics.on('http_response', (response) => responses.push(response.status))
analytics.on('error', (error) => errors.push(String(error?.reason ?? error?.message ?? error)))

analytics.identify({ userId, traits: { email, name: 'Jana Nováková', plan: 'pro' } })
analytics.track({ userId, event: 'Order Completed', properties: { order_id: `o-${run}`, revenue: 42.5, currency: 'EUR' } })
analytics.page({ userId, name: 'Pricing', properties: { url: 'https://shop.example/pricing' } })
// An anonymous visitor who signs up later: the identify links anonymousId to the new userId.
analytics.page({ anonymousId, name: 'Landing', properties: { url: 'https://shop.example/' } })
analytics.identify({ userId: laterUserId, anonymousId, traits: { email: laterEmail } })
await analytics.closeAndFlush({ timeout: 20000 })

check(errors.length === 0, 'the library reported no delivery errors', errors)
check(responses.length >= 2 && responses.every((status) => status === 200),
  'every /v1/batch request was answered 200 (and flushAt made it send more than one)', responses)

const get = apiGetter(args.url, args['read-key'])

const summary = { ok: false, user_id: userId, customer_id: null, later_customer_id: null, events: 0 }
try {
  const events = await allEvents(get)
  const ours = events.filter((event) => [userId, laterUserId].includes(event.user_id) || event.anonymous_id === anonymousId)
  summary.events = ours.length
  check(ours.length === 5, 'all five calls are listed by GET /api/v1/events', ours.map((event) => event.type))

  const identify = ours.find((event) => event.type === 'identify' && event.user_id === userId)
  const track = ours.find((event) => event.type === 'track')
  const page = ours.find((event) => event.type === 'page' && event.user_id === userId)
  if (check(identify !== undefined, 'the identify call is stored')) {
    summary.customer_id = identify.customer_id
    check(identify.traits?.email === email, 'the identify event keeps its traits', identify.traits)
    check(identify.context?.library?.name === '@segment/analytics-node', 'the library names itself in context.library', identify.context)
    const customer = await get(`/api/v1/customers/${identify.customer_id}`)
    check(customer.email === email.toLowerCase(), 'the profile has the e-mail from the traits (normalised)', customer)
    check(track?.customer_id === identify.customer_id && page?.customer_id === identify.customer_id,
      'track and page of the same userId belong to the same profile', { track, page })
  }
  check(track?.name === 'Order Completed' && track?.amount?.amount === '42.50' && track?.amount?.currency === 'EUR', 'the order is stored with its revenue', track)
  const anonymousPage = ours.find((event) => event.type === 'page' && event.anonymous_id === anonymousId && !event.user_id)
  const linking = ours.find((event) => event.type === 'identify' && event.user_id === laterUserId)
  if (check(anonymousPage !== undefined && linking !== undefined, 'the anonymous page and the linking identify are stored')) {
    summary.later_customer_id = linking.customer_id
    check(anonymousPage.customer_id === linking.customer_id,
      'the anonymous page belongs to the profile the later identify linked it to', { anonymousPage, linking })
    const later = await get(`/api/v1/customers/${linking.customer_id}`)
    check(later.email === laterEmail, 'the linked profile has the e-mail given at sign-up', later)
    check(linking.customer_id !== summary.customer_id, 'two people stay two profiles')
  }
} catch (error) {
  check(false, 'the REST API answered', String(error))
}

finish(summary, failures)
