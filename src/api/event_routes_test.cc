// The event ingestion API on every backend: Segment's /v1/* calls, Snowplow's tracker protocol and the
// native POST /api/v1/events, HTTP Basic write keys, keys in the URL, gzip bodies, the partial-failure
// contract, deduplication, clock-skew correction, limits, and reading events and profiles back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "api/api_test_support.h"
#include "common/crypto.h"
#include "http/content_encoding.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class EventRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  EventRoutesTest() : harness_(GetParam()) {
    tenant_ = harness_.CreateTenant("shop");
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    full_key_ = harness_.CreateApiKey(admin_, "full");
    ingest_key_ = harness_.CreateApiKey(admin_, "ingest");
  }

  static http::Headers Basic(const std::string& user, const std::string& password = "") {
    return {{"Authorization", "Basic " + Base64Encode(user + ":" + password)}};
  }

  http::Response Batch(const json& body, const http::Headers& headers = {}) {
    return harness_.Send("POST", "/v1/batch", body.dump(), ingest_key_, headers);
  }

  json Events(const std::string& query = "") {
    auto response = harness_.Send("GET", "/api/v1/events" + query, "", full_key_);
    EXPECT_EQ(response.status, 200) << response.body;
    return BodyOf(response);
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials full_key_;
  Credentials ingest_key_;
};

json Track(const std::string& message_id, const std::string& user_id, const std::string& event = "Product Viewed") {
  return json{{"type", "track"}, {"messageId", message_id}, {"userId", user_id}, {"event", event}};
}

// docs/security.md: every write by a user or key is audited; ingestion with one entry per request that
// names no person, so that erasure has nothing to redact there.
TEST_P(EventRoutesTest, EachIngestionRequestLeavesOneAuditEntryWithCountsOnly) {
  const json batch{{"batch", {Track("audit-1", "audited-user"), Track("audit-2", "audited-user"),
                              json{{"type", "track"}, {"messageId", "audit-bad"}}}}};
  ASSERT_EQ(Batch(batch).status, 200);
  ASSERT_EQ(Batch(batch).status, 200);  // a retry is a request of its own
  ASSERT_EQ(harness_.Send("POST", "/api/v1/events",
                          json{{"id", "audit-native"}, {"type", "track"}, {"name", "Signed Up"},
                               {"customer", {{"email", "audited@example.cz"}}}}.dump(),
                          admin_).status,
            200);
  const json entries = BodyOf(harness_.Send("GET", "/api/v1/audit?action=events.ingest", "", admin_))["items"];
  ASSERT_EQ(entries.size(), 3u) << entries.dump();
  EXPECT_EQ(entries[0]["actor_type"], "user");  // newest first: the native call by the admin's session
  EXPECT_EQ(entries[0]["after"], (json{{"messages", 1}, {"stored", 1}, {"duplicates", 0}, {"rejected", 0},
                                       {"merges", 0}, {"profiles_created", 1}}));
  EXPECT_EQ(entries[1]["actor_type"], "api_key");
  EXPECT_EQ(entries[1]["after"], (json{{"messages", 3}, {"stored", 0}, {"duplicates", 2}, {"rejected", 1},
                                       {"merges", 0}, {"profiles_created", 0}}));
  EXPECT_EQ(entries[2]["after"]["stored"], 2);
  for (const json& entry : entries) {
    EXPECT_EQ(entry["before"], nullptr);
    for (std::string_view personal : {"audited-user", "audited@example.cz", "audit-1", "Product Viewed"}) {
      EXPECT_EQ(entry.dump().find(personal), std::string::npos) << entry.dump();
    }
  }
}

TEST_P(EventRoutesTest, BasicAuthWithTheKeyAsUserNameWorksLikeBearer) {
  const json track{{"userId", "u1"}, {"event", "Signed Up"}};
  auto response = harness_.Send("POST", "/v1/track", track.dump(), {}, Basic(ingest_key_.api_key));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["success"], true);
  // The scheme is case-insensitive, like Bearer.
  http::Headers lower{{"Authorization", "basic " + Base64Encode(ingest_key_.api_key + ":")}};
  EXPECT_EQ(harness_.Send("POST", "/v1/track", track.dump(), {}, lower).status, 200);
  // An ingest key read through Basic is still only an ingest key.
  ExpectError(harness_.Send("GET", "/api/v1/events", "", {}, Basic(ingest_key_.api_key)), 403, "forbidden");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/events", "", {}, Basic(full_key_.api_key)).status, 200);
}

// What analytics.js (the browser library) sends: a one-letter path, text/plain, the write key in the
// body, no Authorization header; the answer must let any page read it.
TEST_P(EventRoutesTest, BrowserSourcesPostTextPlainWithTheWriteKeyInTheBody) {
  const http::Headers plain{{"Content-Type", "text/plain"}};
  json page{{"type", "page"}, {"anonymousId", "anon-browser"}, {"name", "Home"}, {"messageId", "web-1"},
            {"writeKey", ingest_key_.api_key}, {"properties", {{"path", "/"}}}, {"_metadata", {{"bundled", json::array()}}}};
  auto response = harness_.Send("POST", "/v1/p", page.dump(), {}, plain);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 1);
  EXPECT_EQ(response.headers["Access-Control-Allow-Origin"], "*");

  json identify{{"type", "identify"}, {"anonymousId", "anon-browser"}, {"userId", "browser-user"},
                {"traits", {{"email", "web@shop.example"}}}, {"messageId", "web-2"}, {"writeKey", ingest_key_.api_key}};
  response = harness_.Send("POST", "/v1/i", identify.dump(), {}, {{"Content-Type", "text/plain;charset=UTF-8"}});
  ASSERT_EQ(response.status, 200) << response.body;
  // The batching delivery strategy: /v1/b with the write key next to the batch.
  json batch{{"writeKey", ingest_key_.api_key}, {"batch", {Track("web-3", "browser-user")}}, {"sentAt", "2026-11-26T10:00:00Z"}};
  response = harness_.Send("POST", "/v1/b", batch.dump(), {}, plain);
  ASSERT_EQ(response.status, 200) << response.body;
  std::set<std::string> stored;
  const json events = Events();
  for (const json& event : events["items"]) stored.insert(event["message_id"].get<std::string>());
  EXPECT_EQ(stored, (std::set<std::string>{"web-1", "web-2", "web-3"}));

  // Errors are readable cross-origin too, and a body key is only ever an API key.
  for (const json& bad : {json{{"type", "track"}, {"userId", "u"}, {"event", "E"}},
                          json{{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"writeKey", "tpk_unknown"}},
                          json{{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"writeKey", 42}},
                          json{{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"writeKey", "admin@shop.example"}}}) {
    response = harness_.Send("POST", "/v1/t", bad.dump(), {}, plain);
    ExpectError(response, 401, "unauthenticated");
    EXPECT_EQ(response.headers["Access-Control-Allow-Origin"], "*");
  }
  ExpectError(harness_.Send("POST", "/v1/t", "{\"writeKey\": ", {}, plain), 401, "unauthenticated");
  // A key in the body is bounded by its creator's role like any other.
  json track_as_analyst = Track("web-4", "u");
  track_as_analyst["writeKey"] = harness_.CreateApiKey(harness_.LoginAs(tenant_, Role::kAnalyst), "ingest").api_key;
  ExpectError(harness_.Send("POST", "/v1/t", track_as_analyst.dump(), {}, plain), 403, "forbidden");

  // The preflight a page triggers when it adds headers of its own.
  response = harness_.Send("OPTIONS", "/v1/batch", "", {}, {{"Origin", "https://shop.example"},
                                                           {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.headers["Access-Control-Allow-Origin"], "*");
  EXPECT_NE(response.headers["Access-Control-Allow-Headers"].find("Authorization"), std::string::npos);
  // Other endpoints stay same-origin.
  EXPECT_EQ(harness_.Send("GET", "/api/v1/events", "", full_key_).headers.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(harness_.Send("OPTIONS", "/api/v1/events", "").status, 405);
}

TEST_P(EventRoutesTest, BadBasicCredentialsAre401) {
  const std::string track = json{{"userId", "u1"}, {"event", "x"}}.dump();
  for (const http::Headers& headers : std::vector<http::Headers>{
           {{"Authorization", "Basic !!!not-base64!!!"}},
           {{"Authorization", "Basic"}},
           {{"Authorization", "Basic " + Base64Encode("no-colon-" + ingest_key_.api_key)}},
           Basic("admin@shop.example", "correct horse battery"),  // not an API key
           Basic(ingest_key_.api_key, "a-password"),               // the key with a password
           Basic("", ingest_key_.api_key),                         // the key as the password
           Basic("tpk_unknown_key"),
           {{"Authorization", "Digest " + ingest_key_.api_key}},
       }) {
    auto response = harness_.Send("POST", "/v1/track", track, {}, headers);
    ExpectError(response, 401, "unauthenticated");
  }
}

TEST_P(EventRoutesTest, IngestNeedsEventsIngestWhateverTheCredential) {
  const std::string batch = json{{"batch", {Track("m1", "u1")}}}.dump();
  EXPECT_EQ(harness_.Send("POST", "/v1/batch", batch, full_key_).status, 200);
  EXPECT_EQ(harness_.Send("POST", "/v1/batch", batch, admin_).status, 200);  // a session, with CSRF
  const Credentials manager = harness_.LoginAs(tenant_, Role::kManager);
  EXPECT_EQ(harness_.Send("POST", "/v1/batch", batch, harness_.CreateApiKey(manager, "ingest")).status, 200);
  for (Role role : {Role::kAnalyst, Role::kAgent}) {
    const Credentials user = harness_.LoginAs(tenant_, role);
    ExpectError(harness_.Send("POST", "/v1/batch", batch, user), 403, "forbidden");
    // Their keys are bounded by their role (identity::HasPermission), whatever the key's scope.
    ExpectError(harness_.Send("POST", "/v1/batch", batch, harness_.CreateApiKey(user, "full")), 403, "forbidden");
    ExpectError(harness_.Send("POST", "/v1/batch", batch, harness_.CreateApiKey(user, "ingest")), 403, "forbidden");
  }
  ExpectError(harness_.Send("POST", "/v1/batch", batch), 401, "unauthenticated");
}

TEST_P(EventRoutesTest, SegmentCallsCreateAProfileWithEventsReadableThroughTheApi) {
  const json batch{
      {"batch",
       {{{"type", "identify"}, {"messageId", "id-1"}, {"userId", "user-42"},
         {"traits", {{"email", "Jana@Example.CZ"}, {"name", "Jana Nováková"}}}},
        {{"type", "track"}, {"messageId", "tr-1"}, {"userId", "user-42"}, {"event", "Order Completed"},
         {"properties", {{"revenue", 49.9}, {"currency", "EUR"}}}},
        {{"type", "page"}, {"messageId", "pg-1"}, {"userId", "user-42"}, {"name", "Checkout"}}}}};
  auto response = Batch(batch);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response), (json{{"success", true}, {"accepted", 3}, {"duplicates", 0}, {"rejected", json::array()}}));

  const json listed = Events();
  ASSERT_EQ(listed["items"].size(), 3u) << listed.dump();
  const std::string customer_id = listed["items"][0]["customer_id"];
  for (const json& event : listed["items"]) EXPECT_EQ(event["customer_id"], customer_id);
  const json by_name = Events("?type=track");
  ASSERT_EQ(by_name["items"].size(), 1u);
  EXPECT_EQ(by_name["items"][0]["name"], "Order Completed");
  EXPECT_EQ(by_name["items"][0]["amount"], (json{{"amount", "49.90"},
                                                  {"currency", "EUR"},
                                                  {"reporting_amount", "49.90"},
                                                  {"reporting_currency", "EUR"},
                                                  {"exchange_rate", "1"}}));
  EXPECT_EQ(by_name["items"][0]["properties"]["currency"], "EUR");
  EXPECT_EQ(Events("?customer_id=" + customer_id)["items"].size(), 3u);

  auto one = harness_.Send("GET", "/api/v1/events/" + by_name["items"][0]["id"].get<std::string>(), "", full_key_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(BodyOf(one)["message_id"], "tr-1");
  ExpectError(harness_.Send("GET", "/api/v1/events/evt_00000000000000000000000000", "", full_key_), 404, "not_found");

  auto customer = harness_.Send("GET", "/api/v1/customers/" + customer_id, "", full_key_);
  ASSERT_EQ(customer.status, 200) << customer.body;
  EXPECT_EQ(BodyOf(customer)["email"], "jana@example.cz") << customer.body;
  ExpectError(harness_.Send("GET", "/api/v1/events?customer_id=cus_00000000000000000000000000", "", full_key_), 404,
              "not_found");
  ExpectError(harness_.Send("GET", "/api/v1/events?type=purchase", "", full_key_), 400, "invalid_argument", "type");
}

TEST_P(EventRoutesTest, SingleCallsTakeTheirTypeFromThePath) {
  struct CallCase {
    std::string path;
    json body;
  };
  const std::vector<CallCase> calls{
      {"/v1/identify", {{"userId", "u7"}, {"traits", {{"email", "u7@example.com"}}}}},
      {"/v1/track", {{"userId", "u7"}, {"event", "Signed Up"}}},
      {"/v1/page", {{"userId", "u7"}, {"name", "Home"}}},
      {"/v1/screen", {{"userId", "u7"}, {"name", "Cart"}}},
      {"/v1/group", {{"userId", "u7"}, {"groupId", "acme"}}},
      {"/v1/alias", {{"userId", "u7"}, {"previousId", "anon-7"}}},
  };
  for (const CallCase& call : calls) {
    auto response = harness_.Send("POST", call.path, call.body.dump(), ingest_key_);
    EXPECT_EQ(response.status, 200) << call.path << " " << response.body;
    EXPECT_EQ(BodyOf(response)["accepted"], 1) << call.path;
  }
  for (const char* type : {"identify", "track", "page", "screen", "group", "alias"}) {
    EXPECT_EQ(Events(std::string("?type=") + type)["items"].size(), 1u) << type;
  }
  // A single invalid call answers with its own error and the rejected entry.
  auto invalid = harness_.Send("POST", "/v1/track", json{{"userId", "u7"}}.dump(), ingest_key_);
  ExpectError(invalid, 400, "invalid_argument", "event");
  EXPECT_EQ(BodyOf(invalid)["rejected"][0]["index"], 0);
}

TEST_P(EventRoutesTest, SomeInvalidMessagesAreRejectedTheOthersStored) {
  const json batch{{"batch",
                    {Track("ok-1", "u1"),
                     {{"type", "dance"}, {"messageId", "bad-type"}, {"userId", "u1"}},
                     Track("ok-2", "u2"),
                     {{"type", "track"}, {"messageId", "no-event"}, {"userId", "u1"}},
                     {{"type", "track"}, {"messageId", "no-identity"}, {"event", "x"}},
                     {{"type", "track"}, {"userId", "u1"}, {"event", "x"}, {"timestamp", "yesterday"}},
                     "not an object",
                     Track("ok-3", "u3")}}};
  auto response = Batch(batch);
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = BodyOf(response);
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["accepted"], 3);
  EXPECT_EQ(body["duplicates"], 0);
  ASSERT_EQ(body["rejected"].size(), 5u) << body.dump();
  EXPECT_EQ(body["rejected"][0]["index"], 1);
  EXPECT_EQ(body["rejected"][0]["messageId"], "bad-type");
  EXPECT_EQ(body["rejected"][0]["error"]["code"], "invalid_argument");
  EXPECT_EQ(body["rejected"][0]["error"]["field"], "type");
  EXPECT_EQ(body["rejected"][1]["index"], 3);
  EXPECT_EQ(body["rejected"][1]["error"]["field"], "event");
  EXPECT_EQ(body["rejected"][2]["index"], 4);
  EXPECT_EQ(body["rejected"][3]["index"], 5);
  EXPECT_EQ(body["rejected"][3]["messageId"], nullptr);
  EXPECT_EQ(body["rejected"][3]["error"]["field"], "timestamp");
  EXPECT_EQ(body["rejected"][4]["index"], 6);
  EXPECT_TRUE(body["rejected"][4]["error"]["message"].is_string());
  EXPECT_EQ(Events()["items"].size(), 3u);
}

TEST_P(EventRoutesTest, AllInvalidEmptyOrMalformedRequestsAre400) {
  auto all_invalid = Batch({{"batch", {{{"type", "track"}, {"messageId", "a"}}, {{"type", "nope"}}}}});
  ExpectError(all_invalid, 400, "invalid_argument");
  EXPECT_EQ(BodyOf(all_invalid)["rejected"].size(), 2u) << all_invalid.body;
  ExpectError(Batch({{"batch", json::array()}}), 400, "invalid_argument", "batch");
  ExpectError(Batch(json::object()), 400, "invalid_argument", "batch");
  ExpectError(Batch({{"batch", "x"}}), 400, "invalid_argument", "batch");
  ExpectError(Batch({{"batch", {Track("a", "u")}}, {"sentAt", "soon"}}), 400, "invalid_argument", "sentAt");
  ExpectError(Batch({{"batch", {Track("a", "u")}}, {"context", 5}}), 400, "invalid_argument", "context");
  ExpectError(harness_.Send("POST", "/v1/batch", "[1,2]", ingest_key_), 400, "invalid_argument");
  ExpectError(harness_.Send("POST", "/v1/batch", "{\"batch\": [", ingest_key_), 400, "malformed_json");
  ExpectError(harness_.Send("POST", "/v1/batch", "{\"batch\": [{\"type\": \"track\", \"event\": \"\xff\xfe\"}]}", ingest_key_),
              400, "malformed_json");
  ExpectError(harness_.Send("POST", "/v1/batch", json{{"batch", {Track("a", "u")}}}.dump(), ingest_key_,
                            {{"Content-Type", "application/json; charset=utf-16"}}),
              415, "unsupported_media_type");
  EXPECT_EQ(Events()["items"].size(), 0u);
}

TEST_P(EventRoutesTest, LimitsOnBatchAndMessageSize) {
  json many = json::array();
  for (int i = 0; i < 2501; ++i) many.push_back(Track("m" + std::to_string(i), "u"));
  ExpectError(Batch({{"batch", many}}), 413, "payload_too_large", "batch");
  many.erase(many.end() - 1);
  auto full = Batch({{"batch", many}});
  ASSERT_EQ(full.status, 200) << full.body.substr(0, 300);
  EXPECT_EQ(BodyOf(full)["accepted"], 2500);

  // Properties over 32 KiB name the field; a message over 32 KiB in total is 413 on its own.
  json big_traits{{"type", "identify"}, {"messageId", "big"}, {"userId", "u"}, {"traits", {{"bio", std::string(40'000, 'x')}}}};
  json big_message = Track("big-2", "u");
  big_message["properties"] = {{"a", std::string(20'000, 'x')}};
  big_message["context"] = {{"b", std::string(14'000, 'y')}};
  auto response = Batch({{"batch", {big_traits, big_message, Track("small", "u")}}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = BodyOf(response);
  ASSERT_EQ(body["rejected"].size(), 2u) << body.dump();
  EXPECT_EQ(body["rejected"][0]["error"]["field"], "traits");
  EXPECT_EQ(body["rejected"][1]["error"]["code"], "payload_too_large");
  ExpectError(harness_.Send("POST", "/v1/track", big_message.dump(), ingest_key_), 413, "payload_too_large");
}

TEST_P(EventRoutesTest, RetriedBatchCountsDuplicatesAndStoresEachMessageOnce) {
  const json batch{{"batch", {Track("dup-1", "u1"), Track("dup-2", "u1"), Track("dup-3", "u2")}}};
  EXPECT_EQ(BodyOf(Batch(batch))["accepted"], 3);
  auto retried = Batch(batch);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(BodyOf(retried)["accepted"], 0);
  EXPECT_EQ(BodyOf(retried)["duplicates"], 3);
  // The same message twice in one batch is stored once too.
  auto twice = Batch({{"batch", {Track("dup-4", "u1"), Track("dup-4", "u1")}}});
  EXPECT_EQ(BodyOf(twice)["accepted"], 1) << twice.body;
  EXPECT_EQ(BodyOf(twice)["duplicates"], 1) << twice.body;
  EXPECT_EQ(Events()["items"].size(), 4u);
}

TEST_P(EventRoutesTest, SentAtCorrectsTheClientClockAndFarFutureIsRejected) {
  // The device's clock runs five years fast: its timestamp is 10 s before its sentAt.
  const Micros now = NowMicros();
  const Micros skew = 5LL * 365 * 24 * 3600 * 1'000'000;
  json message = Track("skewed", "u1");
  message["timestamp"] = FormatTimestamp(now + skew - 10'000'000);
  auto response = Batch({{"batch", {message}}, {"sentAt", FormatTimestamp(now + skew)}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 1) << response.body;
  const json stored = Events()["items"][0];
  const auto occurred = ParseTimestamp(stored["occurred_at"].get<std::string>());
  ASSERT_TRUE(occurred.has_value());
  EXPECT_LT(std::llabs(*occurred - (now - 10'000'000)), 5'000'000LL) << stored.dump();

  // Without sentAt a timestamp two days ahead cannot be corrected and is refused.
  json future = Track("future", "u1");
  future["timestamp"] = FormatTimestamp(now + 48LL * 3600 * 1'000'000);
  auto refused = Batch({{"batch", {future}}});
  ExpectError(refused, 400, "invalid_argument");
  EXPECT_EQ(BodyOf(refused)["rejected"][0]["error"]["field"], "timestamp");
}

TEST_P(EventRoutesTest, BatchContextIsMergedUnderEachMessagesContext) {
  json own = Track("ctx-1", "u1");
  own["context"] = {{"ip", "10.0.0.1"}, {"library", {{"version", "2.0"}}}};
  auto response = Batch({{"batch", {own, Track("ctx-2", "u1")}},
                         {"context", {{"ip", "192.0.2.1"}, {"library", {{"name", "analytics-node"}, {"version", "1.0"}}}}}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json listed = Events();
  for (const json& event : listed["items"]) {
    const json& context = event["context"];
    EXPECT_EQ(context["library"]["name"], "analytics-node") << context.dump();
    if (event["message_id"] == "ctx-1") {
      EXPECT_EQ(context["ip"], "10.0.0.1");
      EXPECT_EQ(context["library"]["version"], "2.0");
    } else {
      EXPECT_EQ(context["ip"], "192.0.2.1");
      EXPECT_EQ(context["library"]["version"], "1.0");
    }
  }
}

TEST_P(EventRoutesTest, DeeplyNestedJsonIsRejected) {
  json nested = "leaf";
  for (int i = 0; i < 20; ++i) nested = json{{"n", nested}};
  json message = Track("deep", "u1");
  message["properties"] = nested;  // within the body's 32 levels, beyond an event's 16
  auto response = Batch({{"batch", {message, Track("flat", "u1")}}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["rejected"][0]["error"]["field"], "properties") << response.body;
  const std::string too_deep = R"({"batch": [{"type": "track", "properties": )" + std::string(100, '[') +
                               std::string(100, ']') + "}]}";
  ExpectError(harness_.Send("POST", "/v1/batch", too_deep, ingest_key_), 400, "invalid_argument");
}

TEST_P(EventRoutesTest, GzipBodiesAreDecodedWithinALimit) {
  const std::string batch = json{{"batch", {Track("gz-1", "u1"), Track("gz-2", "u1")}}}.dump();
  auto response = harness_.Send("POST", "/v1/batch", http::Gzip(batch), ingest_key_, {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 2);
  // A bomb: 20 MiB of spaces after the JSON, sent as ~20 KiB.
  const std::string bomb = http::Gzip(batch + std::string(20 << 20, ' '));
  ExpectError(harness_.Send("POST", "/v1/batch", bomb, ingest_key_, {{"Content-Encoding", "gzip"}}), 413,
              "payload_too_large", "Content-Encoding");
  ExpectError(harness_.Send("POST", "/v1/batch", "\x1f\x8b garbage", ingest_key_, {{"Content-Encoding", "gzip"}}), 400,
              "invalid_argument", "Content-Encoding");
  ExpectError(harness_.Send("POST", "/v1/batch", batch, ingest_key_, {{"Content-Encoding", "br"}}), 415,
              "unsupported_media_type", "Content-Encoding");
  // Other JSON endpoints take gzip too.
  EXPECT_EQ(harness_.Send("POST", "/api/v1/customers", http::Gzip(R"({"name":"Gzip"})"), full_key_,
                          {{"Content-Encoding", "GZIP"}}).status,
            201);
  EXPECT_EQ(Events()["items"].size(), 2u);
}

// A credential in the header is checked before the body is decoded or parsed, so a stranger never gets
// a body decompressed.
TEST_P(EventRoutesTest, HeaderCredentialsAreCheckedBeforeTheBodyIsDecoded) {
  const http::Headers gzip{{"Content-Encoding", "gzip"}};
  ExpectError(harness_.Send("POST", "/v1/batch", "\x1f\x8b garbage", Credentials{.api_key = "tpk_unknown"}, gzip), 401,
              "unauthenticated");
  ExpectError(harness_.Send("POST", "/v1/batch", "\x1f\x8b garbage", {}, Basic("tpk_unknown")), 401, "unauthenticated");
  // The same body from a known key gets as far as decoding.
  ExpectError(harness_.Send("POST", "/v1/batch", "\x1f\x8b garbage", ingest_key_, gzip), 400, "invalid_argument",
              "Content-Encoding");
}

// A body that carries its own write key is decoded and parsed before anyone is known, so it is held to
// 512 KiB (decoded), compressed or not; with the key in the header the same batch is taken.
TEST_P(EventRoutesTest, BodiesCarryingTheirWriteKeyAreLimitedTo512KiB) {
  json batch{{"batch", json::array()}};
  for (int index = 0; index < 40; ++index) {
    json message = Track("big-" + std::to_string(index), "u1");
    message["properties"] = {{"padding", std::string(15'000, 'x')}};
    batch["batch"].push_back(std::move(message));
  }
  json keyed = batch;
  keyed["writeKey"] = ingest_key_.api_key;
  const http::Headers plain{{"Content-Type", "text/plain"}};
  ASSERT_GT(keyed.dump().size(), 512u * 1024);
  ExpectError(harness_.Send("POST", "/v1/b", keyed.dump(), {}, plain), 413, "payload_too_large");
  ExpectError(harness_.Send("POST", "/v1/b", http::Gzip(keyed.dump()), {},
                            {{"Content-Type", "text/plain"}, {"Content-Encoding", "gzip"}}),
              413, "payload_too_large", "Content-Encoding");
  auto response = harness_.Send("POST", "/v1/batch", batch.dump(), ingest_key_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 40);
}

TEST_P(EventRoutesTest, NativeEventsOneOrMany) {
  const json one{{"id", "n-1"}, {"type", "track"}, {"name", "Order Completed"}, {"customer", {{"email", "petr@example.cz"}}},
                 {"properties", {{"revenue", 10}}}};
  auto response = harness_.Send("POST", "/api/v1/events", one.dump(), ingest_key_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 1);
  const json many{{"events", {one, {{"id", "n-2"}, {"type", "page"}, {"name", "Home"}, {"customer", {{"email", "petr@example.cz"}}}},
                              {{"type", "track"}, {"customer", {{"email", "petr@example.cz"}}}}}}};
  response = harness_.Send("POST", "/api/v1/events", many.dump(), ingest_key_);
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = BodyOf(response);
  EXPECT_EQ(body["accepted"], 1);
  EXPECT_EQ(body["duplicates"], 1);
  ASSERT_EQ(body["rejected"].size(), 1u);
  EXPECT_EQ(body["rejected"][0]["index"], 2);
  EXPECT_EQ(body["rejected"][0]["error"]["field"], "name");
  ExpectError(harness_.Send("POST", "/api/v1/events", json{{"type", "track"}, {"name", "x"}, {"colour", "red"}}.dump(), ingest_key_),
              400, "invalid_argument", "colour");
  ExpectError(harness_.Send("POST", "/api/v1/events", json{{"events", {one}}, {"extra", 1}}.dump(), ingest_key_), 400,
              "invalid_argument", "extra");
  ExpectError(harness_.Send("POST", "/api/v1/events", json{{"events", json::array()}}.dump(), ingest_key_), 400,
              "invalid_argument", "events");
  const json events = Events();
  ASSERT_EQ(events["items"].size(), 2u);
  EXPECT_EQ(events["items"][0]["customer_id"], events["items"][1]["customer_id"]);
}

TEST_P(EventRoutesTest, AgentsReadEventsOnlyOfCustomersTheirTeamsServe) {
  ASSERT_EQ(Batch({{"batch", {{{"type", "identify"}, {"messageId", "i"}, {"userId", "seen"}, {"traits", {{"email", "seen@example.com"}}}},
                              {{"type", "identify"}, {"messageId", "j"}, {"userId", "hidden"}, {"traits", {{"email", "hidden@example.com"}}}}}}})
                .status,
            200);
  std::string seen_customer, hidden_customer, seen_event;
  const json listed = Events();  // not Events()["items"] in the loop head: the temporary would die first
  for (const json& event : listed["items"]) {
    const bool seen = event["user_id"] == "seen";
    (seen ? seen_customer : hidden_customer) = event["customer_id"].get<std::string>();
    if (seen) seen_event = event["id"].get<std::string>();
  }
  const auto agent_user = harness_.CreateUser(tenant_, Role::kAgent);
  const std::string team = BodyOf(harness_.Send("POST", "/api/v1/teams", R"({"name":"Care","kind":"service"})", admin_))["id"];
  harness_.Send("PUT", "/api/v1/teams/" + team + "/members/" + agent_user.id, "", admin_);
  auto created_case = harness_.Send("POST", "/api/v1/cases",
                                    json{{"customer_id", seen_customer}, {"subject", "Hi"}, {"channel", "email"}, {"team_id", team}}.dump(),
                                    admin_);
  ASSERT_EQ(created_case.status, 201) << created_case.body << " " << seen_customer;
  const Credentials agent = harness_.Login(tenant_, agent_user.email);
  ExpectError(harness_.Send("GET", "/api/v1/events", "", agent), 400, "invalid_argument", "customer_id");
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/events?customer_id=" + seen_customer, "", agent))["items"].size(), 1u);
  ExpectError(harness_.Send("GET", "/api/v1/events?customer_id=" + hidden_customer, "", agent), 404, "not_found");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/events/" + seen_event, "", agent).status, 200);
  const json hidden = Events("?customer_id=" + hidden_customer);
  ExpectError(harness_.Send("GET", "/api/v1/events/" + hidden["items"][0]["id"].get<std::string>(), "", agent), 404,
              "not_found");
}

TEST_P(EventRoutesTest, OtherTenantsNeverSeeTheEvents) {
  ASSERT_EQ(Batch({{"batch", {Track("t-1", "u1")}}}).status, 200);
  const std::string event_id = Events()["items"][0]["id"];
  const auto other = harness_.CreateTenant("other");
  const Credentials other_admin = harness_.LoginAs(other, Role::kAdmin);
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/events", "", other_admin))["items"].size(), 0u);
  ExpectError(harness_.Send("GET", "/api/v1/events/" + event_id, "", other_admin), 404, "not_found");
  // The same message id in another tenant is a different message.
  EXPECT_EQ(BodyOf(harness_.Send("POST", "/v1/batch", json{{"batch", {Track("t-1", "u1")}}}.dump(),
                                 harness_.CreateApiKey(other_admin, "ingest")))["accepted"],
            1);
}

// RudderStack's Node SDK gzips its batches and axios labels the Buffer application/x-www-form-urlencoded;
// its page calls carry category only at the top level. Segment's and RudderStack's servers read any
// label as JSON; so does touchpoint on /v1/*, refusing only another charset.
TEST_P(EventRoutesTest, EventSourcesReadAnyLabelAsJsonAndKeepAPagesCategory) {
  json page{{"type", "page"}, {"messageId", "rs-1"}, {"userId", "rs-user"}, {"name", "Pricing"}, {"category", "Docs"},
            {"channel", "server"}, {"_metadata", {{"nodeVersion", "20"}}}};
  const json batch{{"batch", {page}}, {"sentAt", FormatTimestamp(NowMicros())}};
  auto response = harness_.Send("POST", "/v1/batch", http::Gzip(batch.dump()), {},
                                {{"Authorization", "Basic " + Base64Encode(ingest_key_.api_key + ":")},
                                 {"Content-Encoding", "gzip"},
                                 {"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 1);
  // Without a label, and with the properties' own category, which wins.
  page["messageId"] = "rs-2";
  page["properties"] = {{"category", "Own"}};
  EXPECT_EQ(harness_.Send("POST", "/v1/page", page.dump(), ingest_key_, {{"Content-Type", ""}}).status, 200);
  for (const std::string label : {"application/json; charset=utf-16", "multipart/form-data; boundary=x"}) {
    ExpectError(harness_.Send("POST", "/v1/page", page.dump(), ingest_key_, {{"Content-Type", label}}), 415,
                "unsupported_media_type");
  }
  // Elsewhere the label still matters.
  ExpectError(harness_.Send("POST", "/api/v1/customers", R"({"name":"Form"})", full_key_,
                            {{"Content-Type", "application/x-www-form-urlencoded"}}),
              415, "unsupported_media_type");
  std::map<std::string, json> categories;
  const json pages = Events("?type=page");
  for (const json& event : pages["items"]) categories[event["message_id"]] = event["properties"]["category"];
  EXPECT_EQ(categories, (std::map<std::string, json>{{"rs-1", "Docs"}, {"rs-2", "Own"}}));
}

// Snowplow trackers: base64 as the JavaScript and Node trackers encode it (URL-safe, unpadded).
std::string Base64Url(const std::string& text) {
  std::string encoded = Base64Encode(text);
  std::replace(encoded.begin(), encoded.end(), '+', '-');
  std::replace(encoded.begin(), encoded.end(), '/', '_');
  encoded.erase(encoded.find_last_not_of('=') + 1);
  return encoded;
}

json SelfDescribing(const std::string& schema, const json& data) { return json{{"schema", schema}, {"data", data}}; }

json SnowplowContexts(const json& entities) {
  return SelfDescribing("iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1", entities);
}

json SnowplowEvent(const std::string& schema, const json& data) {
  return SelfDescribing("iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", SelfDescribing(schema, data));
}

json SnowplowPayload(const json& events) {
  return SelfDescribing("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", events);
}

// The query string of a GET /i. The harness does not percent-decode, so values here avoid '&' and '='.
std::string SnowplowQuery(const json& parameters) {
  std::string query;
  for (const auto& [name, value] : parameters.items()) {
    query += (query.empty() ? "?" : "&") + name + "=" + value.get<std::string>();
  }
  return query;
}

TEST_P(EventRoutesTest, SnowplowTrackersPostAndGetIntoOneProfile) {
  const std::string dtm = std::to_string(NowMicros() / 1000 - 5000);
  const std::string entity = SnowplowContexts(json::array({SelfDescribing("iglu:com.acme/user/jsonschema/1-0-0", {{"plan", "pro"}})})).dump();
  const json events = {
      {{"e", "pv"}, {"eid", "sp-1"}, {"uid", "sp-user"}, {"duid", "sp-device"}, {"url", "https://shop.example/pricing"},
       {"page", "Pricing"}, {"refr", "https://search.example/"}, {"p", "web"}, {"tv", "js-4.0.0"}, {"aid", "shop"},
       {"dtm", dtm}, {"stm", dtm}, {"cx", Base64Url(entity)}},
      {{"e", "se"}, {"eid", "sp-2"}, {"uid", "sp-user"}, {"se_ca", "basket"}, {"se_ac", "add"}, {"se_la", "sku-1"},
       {"se_va", "2.5"}, {"p", "srv"}},
      {{"e", "ue"}, {"eid", "sp-3"}, {"duid", "sp-device"}, {"p", "srv"}, {"co", entity},
       {"ue_px", Base64Url(SnowplowEvent("iglu:com.acme/checkout_started/jsonschema/1-0-0", {{"step", 1}}).dump())}}};
  const std::string post_path = "/snowplow/" + ingest_key_.api_key + "/com.snowplowanalytics.snowplow/tp2";
  auto response = harness_.Send("POST", post_path, SnowplowPayload(events).dump(), {},
                                {{"Content-Type", "application/json; charset=UTF-8"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["accepted"], 3) << response.body;
  EXPECT_EQ(response.headers["Access-Control-Allow-Origin"], "*");
  // The tracker retries what it got no answer for: the event ids deduplicate.
  response = harness_.Send("POST", post_path, SnowplowPayload(events).dump());
  EXPECT_EQ(BodyOf(response)["duplicates"], 3) << response.body;

  // GET mode: the pixel, plain JSON payloads, and a header key on the collector's own path.
  const json pixel_event{{"e", "ue"}, {"eid", "sp-4"}, {"uid", "sp-user"}, {"p", "web"},
                         {"ue_pr", SnowplowEvent("iglu:com.acme/link_click/jsonschema/1-0-0", {{"target", "faq"}}).dump()}};
  for (const auto& [path, credentials] : {std::pair{"/snowplow/" + ingest_key_.api_key + "/i", Credentials{}},
                                          std::pair{std::string("/i"), ingest_key_}}) {
    response = harness_.Send("GET", path + SnowplowQuery(pixel_event), "", credentials);
    ASSERT_EQ(response.status, 200) << path << ": " << response.body;
    EXPECT_EQ(response.headers["Content-Type"], "image/gif");
    EXPECT_TRUE(response.body.starts_with("GIF89a"));
  }

  std::map<std::string, json> by_id;
  const json stored = Events();
  for (const json& event : stored["items"]) by_id[event["message_id"]] = event;
  ASSERT_EQ(by_id.size(), 4u) << stored.dump();
  const json& page = by_id["sp-1"];
  EXPECT_EQ(page["type"], "page");
  EXPECT_EQ(page["name"], "Pricing");
  EXPECT_EQ(page["channel"], "web");
  EXPECT_EQ(page["context"]["page"], (json{{"url", "https://shop.example/pricing"}, {"title", "Pricing"},
                                           {"referrer", "https://search.example/"}}));
  EXPECT_EQ(page["context"]["snowplow"]["entities"][0]["data"]["plan"], "pro");
  EXPECT_EQ(page["context"]["snowplow"]["app_id"], "shop");
  EXPECT_EQ(by_id["sp-2"]["name"], "add");
  EXPECT_EQ(by_id["sp-2"]["properties"], (json{{"category", "basket"}, {"action", "add"}, {"label", "sku-1"}, {"value", 2.5}}));
  EXPECT_EQ(by_id["sp-3"]["name"], "checkout_started");
  EXPECT_EQ(by_id["sp-3"]["properties"], (json{{"step", 1}}));
  EXPECT_EQ(by_id["sp-3"]["context"]["snowplow"]["schema"], "iglu:com.acme/checkout_started/jsonschema/1-0-0");
  EXPECT_EQ(by_id["sp-4"]["name"], "link_click");
  // uid and duid name one person: the device's anonymous event joined the user's profile.
  for (const char* id : {"sp-2", "sp-3", "sp-4"}) EXPECT_EQ(by_id[id]["customer_id"], page["customer_id"]) << id;
}

TEST_P(EventRoutesTest, SnowplowTimesAreCorrectedBySentTimeUnlessTrue) {
  const Micros now = NowMicros();
  const auto millis = [&](Micros micros) { return std::to_string(micros / 1000); };
  // The device's clock is a day fast: it created the event 10 s before it sent it.
  const Micros day = 24LL * 3600 * 1'000'000;
  const json events = {{{"e", "se"}, {"eid", "t-1"}, {"uid", "u"}, {"se_ca", "c"}, {"se_ac", "skewed"},
                        {"dtm", millis(now + day - 10'000'000)}, {"stm", millis(now + day)}},
                       {{"e", "se"}, {"eid", "t-2"}, {"uid", "u"}, {"se_ca", "c"}, {"se_ac", "true"},
                        {"ttm", millis(now - 3600'000'000LL)}, {"dtm", millis(now + day)}, {"stm", millis(now + day)}}};
  ASSERT_EQ(harness_.Send("POST", "/com.snowplowanalytics.snowplow/tp2", SnowplowPayload(events).dump(), ingest_key_).status, 200);
  std::map<std::string, Micros> occurred;
  const json stored = Events();
  for (const json& event : stored["items"]) occurred[event["message_id"]] = *ParseTimestamp(event["occurred_at"].get<std::string>());
  EXPECT_NEAR(static_cast<double>(occurred["t-1"]), static_cast<double>(now - 10'000'000), 2'000'000);
  EXPECT_NEAR(static_cast<double>(occurred["t-2"]), static_cast<double>(now - 3600'000'000LL), 1'000);
}

TEST_P(EventRoutesTest, HostileSnowplowInputIsRefusedNamingTheParameter) {
  const json good{{"e", "se"}, {"eid", "h-ok"}, {"uid", "u"}, {"se_ca", "c"}, {"se_ac", "a"}};
  const auto with = [&](const json& changes) {
    json event = good;
    event["eid"] = "h-bad";
    for (const auto& [name, value] : changes.items()) {
      if (value.is_null()) {
        event.erase(name);
      } else {
        event[name] = value;
      }
    }
    return event;
  };
  const std::string big(40 * 1024, 'x');
  const std::pair<json, std::string> cases[] = {
      {with({{"e", "ue"}, {"ue_px", "not*base64!"}}), "ue_px"},
      {with({{"e", "ue"}, {"ue_px", Base64Url("{\"schema\": ")}}), "ue_px"},
      {with({{"e", "ue"}, {"ue_pr", SelfDescribing("iglu:com.acme/x/jsonschema/1-0-0", {{"a", 1}}).dump()}}), "ue_pr"},
      {with({{"e", "ue"}, {"ue_pr", SnowplowEvent("com.acme/x/1-0-0", {{"a", 1}}).dump()}}), "ue_pr"},
      {with({{"e", "ue"}, {"ue_pr", SnowplowEvent("iglu:com.acme/x/jsonschema/1-0-0", {{"big", big}}).dump()}}), "ue_pr"},
      {with({{"e", "ue"}, {"ue_pr", std::string(100, '[') + std::string(100, ']')}}), "ue_pr"},
      {with({{"cx", Base64Url(SnowplowContexts(json::array({json{{"data", json{{"a", 1}}}}})).dump())}}), "cx"},
      {with({{"co", SnowplowContexts(json{{"not", "an array"}}).dump()}}), "co"},
      {with({{"e", "tr"}}), "e"},
      {with({{"e", nullptr}}), "e"},
      {with({{"uid", nullptr}}), "uid"},
      {with({{"uid", std::string(300, 'u')}}), "uid"},
      {with({{"se_ac", nullptr}}), "se_ac"},
      {with({{"se_va", "lots"}}), "se_va"},
      {with({{"dtm", "yesterday"}}), "dtm"},
      {with({{"dtm", "946684799000"}}), "dtm"},
      {with({{"uid", json{{"a", 1}}}}), "uid"},
  };
  for (const auto& [event, field] : cases) {
    auto response = harness_.Send("POST", "/com.snowplowanalytics.snowplow/tp2", SnowplowPayload(json::array({good, event})).dump(), ingest_key_);
    ASSERT_EQ(response.status, 200) << field << ": " << response.body;
    const json rejected = BodyOf(response)["rejected"];
    ASSERT_EQ(rejected.size(), 1u) << field << ": " << response.body;
    EXPECT_EQ(rejected[0]["index"], 1);
    EXPECT_EQ(rejected[0]["messageId"], "h-bad");
    EXPECT_EQ(rejected[0]["error"]["field"], field) << response.body;
    EXPECT_EQ(rejected[0]["error"]["code"], "invalid_argument");
  }
  // GET: a bad single event is its own error, in JSON, never a pixel.
  auto response = harness_.Send("GET", "/i?e=ue&uid=u&ue_px=%%%", "", ingest_key_);
  ExpectError(response, 400, "invalid_argument", "ue_px");
  EXPECT_EQ(response.headers["Access-Control-Allow-Origin"], "*");
  // The request's own shape.
  const std::string post = "/com.snowplowanalytics.snowplow/tp2";
  ExpectError(harness_.Send("POST", post, json{{"schema", "iglu:com.acme/payload_data/jsonschema/1-0-4"}, {"data", json::array({good})}}.dump(), ingest_key_),
              400, "invalid_argument", "schema");
  ExpectError(harness_.Send("POST", post, json{{"data", json::array({good})}}.dump(), ingest_key_), 400, "invalid_argument", "schema");
  ExpectError(harness_.Send("POST", post, SnowplowPayload("x").dump(), ingest_key_), 400, "invalid_argument", "data");
  ExpectError(harness_.Send("POST", post, SnowplowPayload(json::array()).dump(), ingest_key_), 400, "invalid_argument", "data");
  ExpectError(harness_.Send("POST", post, SnowplowPayload(json::array({good, "x"})).dump().substr(3), ingest_key_), 400,
              "malformed_json");
  json many = json::array();
  for (int i = 0; i < 2501; ++i) many.push_back(good);
  ExpectError(harness_.Send("POST", post, SnowplowPayload(many).dump(), ingest_key_), 413, "payload_too_large", "data");
  // Only the good event was ever stored, once.
  const json items = Events()["items"];
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["message_id"], "h-ok");
}

// A tracker that cannot send headers names its key in the URL: an ingest key of the tenant it writes to.
TEST_P(EventRoutesTest, SnowplowKeysInTheUrlAreIngestKeysOnly) {
  const std::string query = SnowplowQuery({{"e", "pv"}, {"eid", "k-1"}, {"uid", "u"}});
  ExpectError(harness_.Send("GET", "/snowplow/tpk_unknown/i" + query), 401, "unauthenticated");
  ExpectError(harness_.Send("GET", "/snowplow/admin@shop.example/i" + query), 401, "unauthenticated");
  ExpectError(harness_.Send("GET", "/snowplow/" + full_key_.api_key + "/i" + query), 403, "forbidden");
  auto response = harness_.Send("GET", "/i" + query);
  ExpectError(response, 401, "unauthenticated");
  EXPECT_NE(BodyOf(response)["error"]["message"].get<std::string>().find("/snowplow/<key>/i"), std::string::npos);
  ExpectError(harness_.Send("POST", "/com.snowplowanalytics.snowplow/tp2", SnowplowPayload(json::array({json{{"e", "pv"}, {"uid", "u"}}})).dump()),
              401, "unauthenticated");
  // A GET here writes: a session needs its CSRF token even for the pixel.
  Credentials without_csrf = admin_;
  without_csrf.omit_csrf = true;
  ExpectError(harness_.Send("GET", "/i" + query, "", without_csrf), 403, "forbidden");
  // Another tenant's ingest key writes to that tenant only.
  const auto other = harness_.CreateTenant("other");
  const Credentials other_admin = harness_.LoginAs(other, Role::kAdmin);
  const Credentials other_ingest = harness_.CreateApiKey(other_admin, "ingest");
  ASSERT_EQ(harness_.Send("GET", "/snowplow/" + other_ingest.api_key + "/i" + query).status, 200);
  EXPECT_EQ(Events()["items"].size(), 0u);
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/events", "", other_admin))["items"].size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
