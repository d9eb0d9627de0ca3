// Sends events to a running touchpoint with Snowplow's Node.js tracker (@snowplow/node-tracker, pinned in
// package-lock.json) and checks through touchpoint's REST API that they arrived as events of one profile.
// tests/e2e/snowplow_tracker.py starts the server, creates the keys and runs
//
//   node tests/segment/snowplow_tracker_test.mjs --url http://127.0.0.1:PORT --key tpk_… --read-key tpk_… \
//        --method post|get [--plain]
//
// The tracker's endpoint is URL/snowplow/KEY (a key in the URL: GET mode cannot send headers), so it
// posts to …/com.snowplowanalytics.snowplow/tp2 or fetches …/i?…; --plain turns encodeBase64 off (ue_pr
// and co instead of ue_px and cx). Prints one JSON summary line and exits 0 when every check passed.
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker'
import { randomUUID } from 'node:crypto'
import { allEvents, apiGetter, checker, clientArgs, finish } from './client_test_support.mjs'

const args = clientArgs('snowplow_tracker_test.mjs --url URL --key INGEST_KEY --read-key FULL_KEY --method post|get [--plain]', {
  method: { type: 'string', default: 'post' },
  plain: { type: 'boolean', default: false },
})
const { check, failures } = checker()

const mode = `${args.method}${args.plain ? '-plain' : '-base64'}`
const run = randomUUID().slice(0, 8)
const userId = `sp-${mode}-${run}`
const deviceId = `sp-device-${run}`

const statuses = []
const tracker = newTracker({ namespace: 'touchpoint-test', appId: 'shop', encodeBase64: !args.plain }, {
  endpoint: `${args.url}/snowplow/${args.key}`,
  eventMethod: args.method,
  bufferSize: args.method === 'post' ? 2 : 1,  // POST: several events per request
  retryFailedRequests: false,
  onRequestSuccess: (_, response) => statuses.push(response.status),
  onRequestFailure: (failure, response) => statuses.push(response?.status ?? String(failure?.message ?? 'failed')),
})

// A visitor first known only by the device, then signed in: one profile.
tracker.setDomainUserId(deviceId)
tracker.track(buildPageView({ pageUrl: 'https://shop.example/', pageTitle: 'Home' }))
tracker.setUserId(userId)
tracker.track(buildPageView({ pageUrl: 'https://shop.example/pricing?plan=pro', pageTitle: 'Pricing', referrer: 'https://search.example/' }),
  [{ schema: 'iglu:com.acme/customer/jsonschema/1-0-0', data: { tier: 'gold' } }])
tracker.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/checkout_started/jsonschema/1-0-0', data: { step: 1, basket: 49.9 } } }))
tracker.track(buildStructEvent({ category: 'basket', action: 'add-to-basket', label: 'sku-1', property: 'red', value: 2 }))
await tracker.flush()
await new Promise((done) => setTimeout(done, 100))  // the tracker reports each answer on a later tick

// GET sends one event per request; POST batches them (how many per request is the tracker's choice).
const sentAll = args.method === 'get' ? statuses.length === 4 : statuses.length >= 1
check(sentAll && statuses.every((status) => status === 200), `${mode}: every tracker request was answered 200`, statuses)

const get = apiGetter(args.url, args['read-key'])
const summary = { ok: false, mode, user_id: userId, customer_id: null, message_ids: [] }
try {
  const ours = (await allEvents(get)).filter((event) => event.user_id === userId || event.anonymous_id === deviceId)
  summary.message_ids = ours.map((event) => event.message_id)
  check(ours.length === 4, `${mode}: all four events are listed by GET /api/v1/events`, ours.map((event) => event.name))
  const home = ours.find((event) => event.type === 'page' && event.name === 'Home')
  const pricing = ours.find((event) => event.type === 'page' && event.name === 'Pricing')
  const checkout = ours.find((event) => event.name === 'checkout_started')
  const basket = ours.find((event) => event.name === 'add-to-basket')
  if (check(pricing !== undefined, `${mode}: the page view is stored as a page named after its title`, ours)) {
    summary.customer_id = pricing.customer_id
    check(pricing.context?.page?.url === 'https://shop.example/pricing?plan=pro' &&
      pricing.context?.page?.referrer === 'https://search.example/', `${mode}: url and refr are in context.page`, pricing.context)
    check(pricing.context?.snowplow?.entities?.[0]?.data?.tier === 'gold', `${mode}: the context entity is kept`, pricing.context)
    check(pricing.context?.snowplow?.app_id === 'shop' && pricing.channel === 'server' &&
      pricing.context?.library?.version?.startsWith('node-'), `${mode}: app id, platform and tracker are kept`, pricing)
    check(ours.every((event) => event.customer_id === pricing.customer_id),
      `${mode}: the device's first page and the signed-in events are one profile`, ours.map((event) => event.customer_id))
    const customer = await get(`/api/v1/customers/${pricing.customer_id}`)
    check(JSON.stringify(customer).includes(userId), `${mode}: the profile carries the tracker's user id`, customer)
  }
  check(home?.anonymous_id === deviceId && !home?.user_id, `${mode}: the first page has only the device id`, home)
  check(checkout?.type === 'track' && checkout?.properties?.basket === 49.9 &&
    checkout?.context?.snowplow?.schema === 'iglu:com.acme/checkout_started/jsonschema/1-0-0',
  `${mode}: the self-describing event keeps its data and schema`, checkout)
  check(basket?.properties?.category === 'basket' && basket?.properties?.value === 2 && basket?.properties?.label === 'sku-1',
    `${mode}: the structured event keeps category, label and a numeric value`, basket)
} catch (error) {
  check(false, `${mode}: the REST API answered`, String(error))
}
finish(summary, failures)
