// The unified profile through the API: computed attributes and identifiers on GET, merged ids that
// redirect, the timeline with paging and kind filters, notes, manual merge and its undo, GDPR export
// and erasure.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class ProfileRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  ProfileRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
  }

  json Post(const std::string& path, const json& body, int expected, const Credentials* as = nullptr) {
    auto response = harness_.Send("POST", path, body.is_null() ? "" : body.dump(), as ? *as : admin_);
    EXPECT_EQ(response.status, expected) << path << " " << response.body;
    return BodyOf(response);
  }
  json Get(const std::string& path, int expected = 200, const Credentials* as = nullptr) {
    auto response = harness_.Send("GET", path, "", as ? *as : admin_);
    EXPECT_EQ(response.status, expected) << path << " " << response.body;
    return BodyOf(response);
  }
  // The profile id an event for `customer` landed on.
  std::string Ingest(const json& customer, const std::string& name, const json& properties = json::object()) {
    Post("/api/v1/events", {{"type", "track"}, {"name", name}, {"customer", customer}, {"properties", properties}}, 200);
    const json listed = Get("/api/v1/events?name=" + name + "&limit=1");
    return listed["items"].empty() ? "" : listed["items"][0].value("customer_id", "");
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
};

// ?user_id=, ?email=, ?phone=, ?anonymous_id= are exact look-ups: the holder or an empty list, never
// every customer; contact-data filters need contact_data:read; agents find only their teams' customers.
TEST_P(ProfileRoutesTest, CustomersAreLookedUpByExactIdentifiers) {
  const std::string u1 = Ingest(
      {{"user_id", "u1"}, {"email", "Jana@Example.cz"}, {"phone", "+420 733 000 111"}, {"anonymous_id", "cookie-1"}},
      "Signed In");
  const std::string u10 = Ingest({{"user_id", "u10"}}, "Signed Up");
  ASSERT_FALSE(u1.empty());
  auto ids = [&](const std::string& query, const Credentials* as = nullptr) {
    std::vector<std::string> found;
    const json page = Get("/api/v1/customers?" + query, 200, as);
    for (const json& item : page["items"]) found.push_back(item["id"]);
    return found;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids("user_id=u1"), Ids{u1});
  EXPECT_EQ(ids("user_id=u10"), Ids{u10});
  EXPECT_EQ(ids("user_id=nobody"), Ids{});
  EXPECT_EQ(ids("email=jana@example.cz"), Ids{u1});
  EXPECT_EQ(ids("phone=+420733000111"), Ids{u1});
  EXPECT_EQ(ids("anonymous_id=cookie-1"), Ids{u1});
  EXPECT_EQ(ids("user_id=u1&email=jana@example.cz"), Ids{u1});
  EXPECT_EQ(ids("user_id=u10&email=jana@example.cz"), Ids{});
  ExpectError(harness_.Send("GET", "/api/v1/customers?email=jana", "", admin_), 400, "invalid_argument", "email");
  ExpectError(harness_.Send("GET", "/api/v1/customers?phone=12", "", admin_), 400, "invalid_argument", "phone");
  ExpectError(harness_.Send("GET", "/api/v1/customers?user_name=u1", "", admin_), 400, "invalid_argument", "user_name");

  // An analyst may look up user and anonymous ids, but not filter by contact data: a 403 naming the
  // filter whether or not anyone holds the address, so the answer confirms nothing.
  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  EXPECT_EQ(ids("user_id=u1", &analyst), Ids{u1});
  for (const std::string query : {"email=jana@example.cz", "email=nobody@example.cz"}) {
    ExpectError(harness_.Send("GET", "/api/v1/customers?" + query, "", analyst), 403, "forbidden", "email");
  }
  ExpectError(harness_.Send("GET", "/api/v1/customers?phone=+420733000111", "", analyst), 403, "forbidden", "phone");

  // An agent finds the holder only once it is a customer of one of the agent's teams.
  const json team = Post("/api/v1/teams", {{"name", "Service"}, {"kind", "service"}}, 201);
  const identity::User agent_user = harness_.CreateUser(tenant_, Role::kAgent);
  harness_.Send("PUT", "/api/v1/teams/" + team["id"].get<std::string>() + "/members/" + agent_user.id, "", admin_);
  const Credentials agent = harness_.Login(tenant_, agent_user.email);
  EXPECT_EQ(ids("user_id=u1", &agent), Ids{});
  Post("/api/v1/cases", {{"customer_id", u1}, {"subject", "Vrácení zboží"}, {"team_id", team["id"]}}, 201);
  EXPECT_EQ(ids("user_id=u1", &agent), Ids{u1});
  EXPECT_EQ(ids("email=jana@example.cz", &agent), Ids{u1});
  EXPECT_EQ(ids("user_id=u10", &agent), Ids{});
}

TEST_P(ProfileRoutesTest, ProfileShowsComputedAttributesAndIdentifiers) {
  const std::string id = Ingest({{"user_id", "u-77"}, {"email", "Eva@Example.cz"}}, "Order Completed", {{"revenue", 40}});
  ASSERT_FALSE(id.empty());
  Post("/api/v1/feedback", {{"survey", "nps"}, {"metric", "nps"}, {"score", 10}, {"customer_id", id}}, 201);
  const json profile = Get("/api/v1/customers/" + id);
  EXPECT_EQ(profile["computed"]["orders_count"], 1);
  EXPECT_EQ(profile["computed"]["revenue"]["by_currency"], (json{{"EUR", "40.00"}}));
  EXPECT_EQ(profile["computed"]["revenue"]["reporting"], (json{{"EUR", "40.00"}}));
  EXPECT_EQ(profile["computed"]["last_nps"]["score"], 10);
  EXPECT_EQ(profile["computed"]["open_cases"], 0);
  EXPECT_EQ(profile["identifiers"].size(), 2u);

  // An analyst without the contact-data grant sees the user id but not the e-mail.
  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  const json redacted = Get("/api/v1/customers/" + id, 200, &analyst);
  ASSERT_EQ(redacted["identifiers"].size(), 1u);
  EXPECT_EQ(redacted["identifiers"][0]["kind"], "user_id");
  EXPECT_TRUE(redacted["email"].is_null());
}

TEST_P(ProfileRoutesTest, TimelinePagesAndFilters) {
  const std::string id = Ingest({{"user_id", "tl-1"}}, "Step0");
  for (int i = 1; i < 12; ++i) Ingest({{"user_id", "tl-1"}}, "Step" + std::to_string(i));
  Post("/api/v1/customers/" + id + "/notes", {{"body", "Called about the invoice."}}, 201);
  Post("/api/v1/customers/" + id + "/notes", {{"body", "  "}}, 400);

  std::vector<std::string> titles;
  std::string cursor;
  do {
    const json page = Get("/api/v1/customers/" + id + "/timeline?limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const json& item : page["items"]) titles.push_back(item["title"]);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  ASSERT_EQ(titles.size(), 13u);
  EXPECT_EQ(titles.front(), "Called about the invoice.");
  EXPECT_EQ(titles.back(), "Step0");
  EXPECT_EQ(Get("/api/v1/customers/" + id + "/timeline?kind=note")["items"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/customers/" + id + "/timeline?kind=email", 400)["error"]["field"], "kind");
  EXPECT_EQ(Get("/api/v1/customers/" + id + "/timeline?cursor=!!", 400)["error"]["field"], "cursor");
}

TEST_P(ProfileRoutesTest, ManualMergeRedirectsAndAnAdminCanUndoIt) {
  const std::string keep = Ingest({{"user_id", "keep"}}, "KeepEvent");
  const std::string other = Ingest({{"anonymous_id", "dup"}}, "DupEvent");
  ASSERT_NE(keep, other);
  const json merge = Post("/api/v1/customers/" + keep + "/merge", {{"customer_id", other}}, 201);
  EXPECT_EQ(merge["merged_id"], other);
  // The merged id answers with the survivor.
  const json redirected = Get("/api/v1/customers/" + other);
  EXPECT_EQ(redirected["id"], keep);
  EXPECT_EQ(redirected["merged_from"], other);
  EXPECT_EQ(Get("/api/v1/customers/" + keep + "/timeline")["items"].size(), 2u);
  EXPECT_EQ(Get("/api/v1/customers/" + keep + "/merges")["items"].size(), 1u);
  Post("/api/v1/customers/" + keep + "/merge", {{"customer_id", other}}, 400);  // already one profile

  const Credentials manager = harness_.LoginAs(tenant_, Role::kManager);
  Post("/api/v1/merges/" + merge["id"].get<std::string>() + "/undo", nullptr, 403, &manager);
  Post("/api/v1/merges/" + merge["id"].get<std::string>() + "/undo", nullptr, 200);
  EXPECT_EQ(Get("/api/v1/customers/" + other)["id"], other);
  EXPECT_EQ(Get("/api/v1/customers/" + keep + "/timeline")["items"].size(), 1u);
  Post("/api/v1/merges/" + merge["id"].get<std::string>() + "/undo", nullptr, 409);
}

TEST_P(ProfileRoutesTest, ExportAndErasure) {
  const std::string id = Ingest({{"email", "gone@example.cz"}, {"phone", "+420 733 000 111"}}, "Order Completed",
                                {{"revenue", 5}});
  const json exported = Get("/api/v1/customers/" + id + "/export");
  EXPECT_EQ(exported["profile"]["email"], "gone@example.cz");
  EXPECT_EQ(exported["events"].size(), 1u);

  const json erased = Post("/api/v1/customers/" + id + "/erase", nullptr, 200);
  EXPECT_EQ(erased["erased"]["events"], 1);
  Get("/api/v1/customers/" + id, 404);
  EXPECT_TRUE(Get("/api/v1/customers?q=gone")["items"].empty());
  EXPECT_TRUE(Get("/api/v1/customers?q=733000111")["items"].empty());
  Get("/api/v1/events?customer_id=" + id, 404);
  const json audit = Get("/api/v1/audit?limit=200");
  int erasures = 0;
  for (const json& entry : audit["items"]) {
    EXPECT_EQ(entry.dump().find("gone@example.cz"), std::string::npos) << entry.dump();
    if (entry["action"] == "customer.erase") ++erasures;
  }
  EXPECT_EQ(erasures, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProfileRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
