// Sends events to a running touchpoint with RudderStack's Node.js SDK (@rudderstack/rudder-sdk-node,
// pinned in package-lock.json) and checks through touchpoint's REST API that they arrived.
// tests/e2e/rudderstack_client.py starts the server, creates the keys and runs
//
//   node tests/segment/rudderstack_client_test.mjs --url http://127.0.0.1:PORT --key tpk_… --read-key tpk_… [--plain]
//
// By default the SDK gzips each batch (and labels it application/x-www-form-urlencoded); --plain turns
// that off (gzip: false), so both of its modes are covered. Prints one JSON summary line and exits 0
// when every check passed.
import Analytics from '@rudderstack/rudder-sdk-node'
import { randomUUID } from 'node:crypto'
import { allEvents, apiGetter, checker, clientArgs, finish } from './client_test_support.mjs'

const args = clientArgs('rudderstack_client_test.mjs --url URL --key WRITE_KEY --read-key FULL_KEY [--plain]',
  { plain: { type: 'boolean', default: false } })
const { check, failures } = checker()

const run = randomUUID().slice(0, 8)
const mode = args.plain ? 'plain' : 'gzip'
const userId = `rs-${mode}-${run}`
const email = `rs.${run}@example.com`
const anonymousId = `rs-anon-${run}`
const laterUserId = `rs-later-${run}`

// Small batches so that it sends several; the error handler sees every failed delivery.
const errors = []
const client = new Analytics(args.key, {
  dataPlaneUrl: args.url,
  gzip: !args.plain,
  flushAt: 2,
  flushInterval: 200,
  retryCount: 1,
  timeout: 10000,
  logLevel: 'error',
  errorHandler: (error) => errors.push(String(error?.response?.status ?? error?.message ?? error)),
})
const delivered = []
const sent = (what) => (error) => delivered.push(error ? `${what}: ${error.message ?? error}` : null)

client.identify({ userId, traits: { email, name: 'Jana Nováková' } }, sent('identify'))
client.track({ userId, event: 'Order Completed', properties: { order_id: `o-${run}`, revenue: 19.9, currency: 'CZK' } },
  sent('track'))
client.page({ userId, name: 'Pricing', category: 'Docs', properties: { url: 'https://shop.example/pricing' } }, sent('page'))
client.page({ anonymousId, name: 'Landing' }, sent('anonymous page'))
client.identify({ userId: laterUserId, anonymousId, traits: { plan: 'pro' } }, sent('linking identify'))
await client.flush()
for (let waited = 0; delivered.length < 5 && waited < 20000; waited += 100) await new Promise((done) => setTimeout(done, 100))

check(errors.length === 0, `${mode}: the SDK reported no delivery errors`, errors)
check(delivered.length === 5 && delivered.every((error) => error === null), `${mode}: all five calls were delivered`, delivered)

const get = apiGetter(args.url, args['read-key'])
const summary = { ok: false, mode, user_id: userId, customer_id: null, events: 0 }
try {
  const ours = (await allEvents(get)).filter((event) =>
    [userId, laterUserId].includes(event.user_id) || event.anonymous_id === anonymousId)
  summary.events = ours.length
  check(ours.length === 5, `${mode}: all five calls are listed by GET /api/v1/events`, ours.map((event) => event.type))
  const identify = ours.find((event) => event.type === 'identify' && event.user_id === userId)
  const track = ours.find((event) => event.type === 'track')
  const page = ours.find((event) => event.type === 'page' && event.user_id === userId)
  if (check(identify !== undefined, `${mode}: the identify call is stored`)) {
    summary.customer_id = identify.customer_id
    const customer = await get(`/api/v1/customers/${identify.customer_id}`)
    check(customer.email === email, `${mode}: the profile has the e-mail from the traits`, customer)
    check(track?.customer_id === identify.customer_id && page?.customer_id === identify.customer_id,
      `${mode}: track and page of the same userId belong to the same profile`, { track, page })
  }
  check(track?.name === 'Order Completed' && track?.amount?.amount === '19.90' && track?.amount?.currency === 'CZK',
  `${mode}: the order keeps its revenue and currency`, track)
  check(page?.name === 'Pricing' && page?.properties?.category === 'Docs',
    `${mode}: the page keeps its name and its top-level category`, page)
  const anonymousPage = ours.find((event) => event.type === 'page' && event.anonymous_id === anonymousId && !event.user_id)
  const linking = ours.find((event) => event.type === 'identify' && event.user_id === laterUserId)
  check(anonymousPage !== undefined && anonymousPage.customer_id === linking?.customer_id &&
    linking.customer_id !== summary.customer_id,
  `${mode}: the anonymous page belongs to the profile the later identify linked it to, not the first one`,
  { anonymousPage, linking })
} catch (error) {
  check(false, `${mode}: the REST API answered`, String(error))
}
finish(summary, failures)
