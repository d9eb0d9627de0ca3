#include "ingest/ingest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "identity/tenants.h"
#include "ingest/ingest_test_support.h"
#include "ingest/merges.h"
#include "profiles/identifiers.h"
#include "profiles/traits.h"

namespace tp::ingest {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

class IngestTest : public IngestFixture {};

TEST_P(IngestTest, AnonymousBrowsingThenIdentifyIsOneProfile) {
  const IngestSummary browsing = Ingest({Msg({{"type", "page"}, {"anonymousId", "a1"}, {"name", "Pricing"}}, 1),
                                         Msg({{"type", "page"}, {"anonymousId", "a1"}, {"name", "Checkout"}}, 2)});
  ASSERT_EQ(browsing.customer_ids.size(), 2u);
  EXPECT_EQ(browsing.profiles_created, 1);
  EXPECT_EQ(browsing.customer_ids[0], browsing.customer_ids[1]);

  const IngestSummary identified = Ingest({Msg({{"type", "identify"}, {"anonymousId", "a1"}, {"userId", "u1"},
                                                {"traits", {{"email", "Jana@Example.cz"}, {"name", "Jana Nováková"}}}},
                                               3)});
  ASSERT_EQ(identified.customer_ids.size(), 1u);
  EXPECT_EQ(identified.customer_ids[0], browsing.customer_ids[0]);
  EXPECT_EQ(identified.profiles_created, 0);
  const profiles::Customer customer = Customer(identified.customer_ids[0]);
  EXPECT_EQ(customer.name, "Jana Nováková");
  EXPECT_EQ(customer.email, "jana@example.cz");
  EXPECT_EQ(json::parse(customer.traits_json)["name"], "Jana Nováková");
  EXPECT_EQ(customer.computed.channels, (std::vector<std::string>{"server", "web"}));
  EXPECT_EQ(EventsOf(customer.id), 3);

  // The profile is now found by its e-mail and searchable by name.
  Result<Page<profiles::Customer>> found = profiles::ReadResult<Page<profiles::Customer>>(
      store(), tenant_, [&](store::TenantTx& tx) { return profiles::ListCustomers(tx, {.search = "novakova"}, {}); });
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].id, customer.id);
}

TEST_P(IngestTest, ACustomerIsFoundByAnyIdentifierTheCompanyKnowsThemBy) {
  const std::string u1 = Ingest({Msg({{"type", "identify"}, {"userId", "u1"}, {"anonymousId", "device-9"},
                                      {"traits", {{"name", "U1 Tester"}, {"email", "u1@example.cz"}}}}, 1)})
                             .customer_ids[0];
  Ingest({Msg({{"type", "identify"}, {"userId", "u10"}, {"traits", {{"name", "Someone U1-ish"}}}}, 2)});
  auto search = [&](const std::string& text, bool contact_data) {
    Result<Page<profiles::Customer>> found = profiles::ReadResult<Page<profiles::Customer>>(
        store(), tenant_, [&](store::TenantTx& tx) {
          return profiles::ListCustomers(tx, {.search = text, .search_contact_data = contact_data}, {});
        });
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const profiles::Customer& customer : found->items) ids.push_back(customer.id);
    }
    return ids;
  };
  EXPECT_EQ(search("u1", true), std::vector<std::string>{u1});  // the user id, not every "u1…" prefix
  EXPECT_EQ(search("device-9", false), std::vector<std::string>{u1});
  EXPECT_EQ(search("U1@Example.cz", true), std::vector<std::string>{u1});
  // An e-mail address is contact data: a caller who may not see it cannot find people by it.
  EXPECT_TRUE(search("u1@example.cz", false).empty());
}

TEST_P(IngestTest, ExactIdentifierFiltersReturnTheHolderOrNothing) {
  const std::string u1 =
      Ingest({Msg({{"type", "identify"},
                   {"userId", "u1"},
                   {"anonymousId", "device-9"},
                   {"traits", {{"name", "U1 Tester"}, {"email", "u1@example.cz"}, {"phone", "+420 777 111 222"}}}},
                  1)})
          .customer_ids[0];
  const std::string u10 =
      Ingest({Msg({{"type", "identify"}, {"userId", "u10"}, {"traits", {{"email", "u10@example.cz"}}}}, 2)})
          .customer_ids[0];
  using Kind = profiles::IdentifierKind;
  auto filter = [&](std::vector<std::pair<Kind, std::string>> identifiers, bool contact_data,
                    std::optional<std::string> search = std::nullopt) -> Result<std::vector<std::string>> {
    Result<Page<profiles::Customer>> found =
        profiles::ReadResult<Page<profiles::Customer>>(store(), tenant_, [&](store::TenantTx& tx) {
          return profiles::ListCustomers(
              tx, {.search = search, .search_contact_data = contact_data, .identifiers = identifiers}, {});
        });
    if (!found.ok()) return found.status();
    std::vector<std::string> ids;
    for (const profiles::Customer& customer : found->items) ids.push_back(customer.id);
    return ids;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(*filter({{Kind::kUserId, "u1"}}, false), Ids{u1});  // exactly u1, not u10
  EXPECT_EQ(*filter({{Kind::kUserId, "u10"}}, false), Ids{u10});
  EXPECT_EQ(*filter({{Kind::kUserId, "u"}}, true), Ids{});
  EXPECT_EQ(*filter({{Kind::kEmail, "U1@Example.cz"}}, true), Ids{u1});  // compared as stored
  EXPECT_EQ(*filter({{Kind::kPhone, "+420 777-111-222"}}, true), Ids{u1});
  EXPECT_EQ(*filter({{Kind::kAnonymousId, "device-9"}}, false), Ids{u1});
  EXPECT_EQ(*filter({{Kind::kEmail, "nobody@example.cz"}}, true), Ids{});
  // Several filters: only a customer holding every one.
  EXPECT_EQ(*filter({{Kind::kUserId, "u1"}, {Kind::kEmail, "u1@example.cz"}}, true), Ids{u1});
  EXPECT_EQ(*filter({{Kind::kUserId, "u1"}, {Kind::kEmail, "u10@example.cz"}}, true), Ids{});
  // With a search, the holder only when the search matches it too.
  EXPECT_EQ(*filter({{Kind::kUserId, "u1"}}, true, "tester"), Ids{u1});
  EXPECT_EQ(*filter({{Kind::kUserId, "u1"}}, true, "zzz"), Ids{});
  // A malformed value is a 400 naming the filter.
  EXPECT_EQ(filter({{Kind::kEmail, "not-an-address"}}, true).status().field(), "email");
  EXPECT_EQ(filter({{Kind::kPhone, "12"}}, true).status().field(), "phone");
  // Contact data without access: refused naming the filter, held or not, so the answer confirms nothing.
  for (const std::string address : {"u1@example.cz", "nobody@example.cz"}) {
    const Status refused = filter({{Kind::kEmail, address}}, false).status();
    EXPECT_EQ(refused.code(), ErrorCode::kPermissionDenied) << address;
    EXPECT_EQ(refused.field(), "email") << address;
  }
  EXPECT_EQ(filter({{Kind::kPhone, "+420777111222"}}, false).status().field(), "phone");
  // An agent sees the holder only when it has a case of one of the agent's teams (none here).
  Result<Page<profiles::Customer>> scoped =
      profiles::ReadResult<Page<profiles::Customer>>(store(), tenant_, [&](store::TenantTx& tx) {
        return profiles::ListCustomers(
            tx, {.only_teams = std::vector<std::string>{"team_none"}, .identifiers = {{Kind::kUserId, "u1"}}}, {});
      });
  ASSERT_TRUE(scoped.ok());
  EXPECT_TRUE(scoped->items.empty());
}

TEST_P(IngestTest, IdentifyTyingTwoProfilesMergesThem) {
  const std::string known = Ingest({Msg({{"type", "identify"}, {"userId", "u1"}}, 1)}).customer_ids[0];
  const std::string browser = Ingest({Msg({{"type", "page"}, {"anonymousId", "a2"}}, 2),
                                      Msg({{"type", "page"}, {"anonymousId", "a2"}}, 3)}).customer_ids[0];
  ASSERT_NE(known, browser);

  const IngestSummary login = Ingest({Msg({{"type", "identify"}, {"userId", "u1"}, {"anonymousId", "a2"}}, 4)});
  EXPECT_EQ(login.merges, 1);
  EXPECT_EQ(login.customer_ids[0], known);  // the profile with the user id survives
  EXPECT_EQ(Live(browser), known);
  EXPECT_EQ(Customer(browser).merged_into, known);
  EXPECT_EQ(EventsOf(known), 4);
  EXPECT_EQ(EventsOf(browser), 0);
  const profiles::Customer survivor = Customer(known);
  EXPECT_EQ(survivor.computed.first_seen_at.has_value(), true);

  // Later events from the old anonymous id land on the survivor.
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"anonymousId", "a2"}}, 5)}).customer_ids[0], known);
}

TEST_P(IngestTest, AMergeOnFirstIdentifyStillAttachesTheUserId) {
  const std::string by_email = Ingest({Msg({{"type", "identify"}, {"anonymousId", "e1"},
                                            {"traits", {{"email", "lenka@example.cz"}}}}, 1)}).customer_ids[0];
  const std::string by_device = Ingest({Msg({{"type", "page"}, {"anonymousId", "d1"}}, 2)}).customer_ids[0];
  // The first identify with a user id names both profiles.
  const IngestSummary login = Ingest({Msg({{"type", "identify"}, {"userId", "lenka"}, {"anonymousId", "d1"},
                                           {"traits", {{"email", "lenka@example.cz"}}}}, 3)});
  EXPECT_EQ(login.merges, 1);
  EXPECT_EQ(Live(by_email), Live(by_device));
  // Later events by the user id alone land on the same profile.
  EXPECT_EQ(Ingest({Msg({{"type", "track"}, {"userId", "lenka"}, {"event", "Signed In"}}, 4)}).customer_ids[0],
            Live(by_email));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1 AND customer_id = $2 AND kind = 'user_id'",
                  Live(by_email)), 1);
}

TEST_P(IngestTest, AnEmailMatchingAPhonesProfileMerges) {
  const std::string by_email = Ingest({Msg({{"type", "identify"}, {"anonymousId", "x"},
                                            {"traits", {{"email", "petr@example.cz"}}}}, 1)}).customer_ids[0];
  const std::string by_phone = Ingest({Msg({{"type", "identify"}, {"anonymousId", "y"},
                                            {"traits", {{"phone", "+420 777 111 222"}}}}, 2)}).customer_ids[0];
  ASSERT_NE(by_email, by_phone);
  const IngestSummary both = Ingest({Msg({{"type", "identify"}, {"anonymousId", "z"},
                                          {"traits", {{"email", "PETR@example.cz"}, {"phone", "+420777111222"}}}}, 3)});
  EXPECT_EQ(both.merges, 1);
  EXPECT_EQ(Live(by_email), Live(by_phone));
  const profiles::Customer merged = Customer(Live(by_email));
  EXPECT_EQ(merged.email, "petr@example.cz");
  EXPECT_EQ(merged.phone, "+420777111222");
}

TEST_P(IngestTest, AConflictingUserIdDoesNotMerge) {
  const std::string first = Ingest({Msg({{"type", "identify"}, {"userId", "u1"}, {"anonymousId", "shared-browser"}}, 1)})
                                .customer_ids[0];
  // Someone else signs in on the same browser.
  const IngestSummary second = Ingest({Msg({{"type", "identify"}, {"userId", "u2"}, {"anonymousId", "shared-browser"}}, 2)});
  EXPECT_EQ(second.merges, 0);
  EXPECT_EQ(second.profiles_created, 1);
  EXPECT_NE(second.customer_ids[0], first);
  EXPECT_EQ(Live(first), first);
  // The anonymous id stays with the profile that had it.
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"anonymousId", "shared-browser"}}, 3)}).customer_ids[0], first);
}

TEST_P(IngestTest, AliasLinksThePreviousIdentity) {
  const std::string anonymous = Ingest({Msg({{"type", "page"}, {"anonymousId", "old-device"}}, 1)}).customer_ids[0];
  const std::string user = Ingest({Msg({{"type", "identify"}, {"userId", "u9"}}, 2)}).customer_ids[0];
  const IngestSummary alias = Ingest({Msg({{"type", "alias"}, {"userId", "u9"}, {"previousId", "old-device"}}, 3)});
  EXPECT_EQ(alias.merges, 1);
  EXPECT_EQ(Live(anonymous), user);
}

TEST_P(IngestTest, AnAliasBeforeAnyEventOfThePreviousIdStillLinksIt) {
  const std::string user = Ingest({Msg({{"type", "identify"}, {"userId", "u1"}}, 1)}).customer_ids[0];
  const IngestSummary alias = Ingest({Msg({{"type", "alias"}, {"userId", "u1"}, {"previousId", "anon-1"}}, 2)});
  EXPECT_EQ(alias.customer_ids[0], user);
  EXPECT_EQ(alias.profiles_created, 0);
  const IngestSummary later = Ingest({Msg({{"type", "track"}, {"anonymousId", "anon-1"}, {"event", "Viewed"}}, 3)});
  EXPECT_EQ(later.customer_ids[0], user);
  EXPECT_EQ(later.profiles_created, 0);
  // An alias naming a user id nobody has seen, with a previous id nobody has seen: one profile for both.
  const IngestSummary fresh = Ingest({Msg({{"type", "alias"}, {"userId", "u2"}, {"previousId", "anon-2"}}, 4)});
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"anonymousId", "anon-2"}}, 5)}).customer_ids[0], fresh.customer_ids[0]);
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"userId", "u2"}}, 6)}).customer_ids[0], fresh.customer_ids[0]);
}

TEST_P(IngestTest, AnOrderIsCountedOnceWhateverPathItArrivesBy) {
  const json order = {{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"},
                      {"properties", {{"order_id", "A-1001"}, {"revenue", 61.02}, {"currency", "czk"}}}};
  json same_order_other_message = order;
  same_order_other_message["messageId"] = "sdk-retry-with-a-new-id";
  const IngestSummary first = Ingest({Msg(order, 1), Msg(same_order_other_message, 2)});
  EXPECT_EQ(first.stored, 1);
  // An orders import names the same order: still one order.
  const IngestSummary imported = Ingest({Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"},
                                              {"messageId", "import:orders:abc"},
                                              {"properties", {{"order_id", "A-1001"}, {"total", "61.02"}}}},
                                             3)});
  EXPECT_EQ(imported.stored, 0);
  // A refund with refund_amount counts that amount; a second refund of the order needs its own id.
  const IngestSummary refunds = Ingest(
      {Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Refunded"},
            {"properties", {{"order_id", "A-1001"}, {"refund_amount", "20.00"}, {"currency", "CZK"}}}}, 4),
       Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Refunded"},
            {"properties", {{"order_id", "A-1001"}, {"refund_amount", 20}, {"currency", "CZK"}}}}, 5),
       Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Refunded"},
            {"properties", {{"order_id", "A-1001"}, {"refund_id", "r2"}, {"refund_amount", 5.5}, {"currency", "CZK"}}}},
           6)});
  EXPECT_EQ(refunds.stored, 2);
  const profiles::Customer buyer = Customer(first.customer_ids[0]);
  EXPECT_EQ(buyer.computed.orders_count, 1);
  EXPECT_EQ(buyer.computed.revenue.by_currency, (std::map<std::string, std::int64_t>{{"CZK", 610'200}}));
  EXPECT_EQ(buyer.computed.refunds_count, 2);
  EXPECT_EQ(buyer.computed.refunded.by_currency, (std::map<std::string, std::int64_t>{{"CZK", 255'000}}));
  // No CZK rate is configured: the amounts are not in the reporting total, and say so.
  EXPECT_TRUE(buyer.computed.revenue.reporting.empty());
  EXPECT_EQ(buyer.computed.revenue.unconverted, (std::map<std::string, std::int64_t>{{"CZK", 610'200}}));
}

TEST_P(IngestTest, AmountsAreExactPerCurrencyAndConvertedAtTheConfiguredRate) {
  ASSERT_TRUE(store()
                  .Write(tenant_,
                         [](store::TenantTx& tx) {
                           return identity::UpdateTenantSettings(
                                      tx, identity::AuditContext::System(), "Acme",
                                      R"({"currency": {"reporting": "EUR", "rates": {"CZK": "0.0398", "PLN": "0.23"}}})")
                               .status();
                         })
                  .ok());
  std::vector<events::Message> orders;
  // Ten orders of 6.102 EUR: a binary float sum would end at 61.019999999999996.
  for (int i = 0; i < 10; ++i) {
    orders.push_back(Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"},
                          {"properties", {{"order_id", "E" + std::to_string(i)}, {"revenue", 6.102}, {"currency", "EUR"}}}},
                         i));
  }
  orders.push_back(Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"},
                        {"properties", {{"order_id", "C1"}, {"revenue", "300"}, {"currency", "CZK"}}}}, 20));
  orders.push_back(Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"},
                        {"properties", {{"order_id", "U1"}, {"revenue", 5}, {"currency", "USD"}}}}, 21));
  const IngestSummary summary = Ingest(orders);
  const profiles::Customer buyer = Customer(summary.customer_ids[0]);
  EXPECT_EQ(buyer.computed.revenue.by_currency,
            (std::map<std::string, std::int64_t>{{"CZK", 3'000'000}, {"EUR", 610'200}, {"USD", 50'000}}));
  EXPECT_EQ(buyer.computed.revenue.reporting, (std::map<std::string, std::int64_t>{{"EUR", 610'200 + 119'400}}));
  EXPECT_EQ(buyer.computed.revenue.unconverted, (std::map<std::string, std::int64_t>{{"USD", 50'000}}));
  EXPECT_EQ(profiles::MoneyTotalsJson(buyer.computed.revenue)["reporting"]["EUR"], "72.96");
  // The rate used is kept with each event.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND customer_id = $2 AND currency = 'CZK' "
                  "AND reporting_amount = 119400 AND exchange_rate = '0.0398'",
                  buyer.id),
            1);
}

TEST_P(IngestTest, RetriedBatchesAreNotCountedTwice) {
  const std::vector<events::Message> batch = {
      Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"}, {"properties", {{"revenue", 20}}}}, 1),
      Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Completed"}, {"properties", {{"total", 30.5}}}}, 2),
      Msg({{"type", "track"}, {"userId", "buyer"}, {"event", "Order Refunded"}, {"properties", {{"revenue", 10}}}}, 3)};
  const IngestSummary first = Ingest(batch);
  EXPECT_EQ(first.stored, 3);
  const IngestSummary retry = Ingest(batch);
  EXPECT_EQ(retry.stored, 0);
  EXPECT_EQ(retry.duplicates, 3);
  // The same message twice in one batch is stored once.
  const IngestSummary doubled = Ingest({batch[0], batch[0]});
  EXPECT_EQ(doubled.stored, 0);

  const profiles::Customer buyer = Customer(first.customer_ids[0]);
  EXPECT_EQ(EventsOf(buyer.id), 3);
  EXPECT_EQ(buyer.computed.orders_count, 2);
  // Without a currency the amounts are in the reporting currency (EUR by default).
  EXPECT_EQ(buyer.computed.revenue.by_currency, (std::map<std::string, std::int64_t>{{"EUR", 505'000}}));
  EXPECT_EQ(buyer.computed.revenue.reporting, (std::map<std::string, std::int64_t>{{"EUR", 505'000}}));
  EXPECT_EQ(buyer.computed.refunds_count, 1);
  EXPECT_EQ(buyer.computed.refunded.by_currency, (std::map<std::string, std::int64_t>{{"EUR", 100'000}}));
  EXPECT_EQ(buyer.computed.first_seen_at, batch[0].occurred_at);
  EXPECT_EQ(buyer.computed.last_seen_at, batch[2].occurred_at);
}

TEST_P(IngestTest, TraitsLatestWinsAndHistoryIsKept) {
  const std::string id = Ingest({Msg({{"type", "identify"}, {"userId", "t"}, {"traits", {{"plan", "pro"}}}}, 20)})
                             .customer_ids[0];
  // An older identify arriving late does not overwrite the newer value.
  Ingest({Msg({{"type", "identify"}, {"userId", "t"}, {"traits", {{"plan", "free"}, {"city", "Brno"}}}}, 10)});
  const profiles::Customer customer = Customer(id);
  const json traits = json::parse(customer.traits_json);
  EXPECT_EQ(traits["plan"], "pro");
  EXPECT_EQ(traits["city"], "Brno");
  Result<std::vector<profiles::TraitHistoryEntry>> history =
      profiles::ReadResult<std::vector<profiles::TraitHistoryEntry>>(
          store(), tenant_, [&](store::TenantTx& tx) { return profiles::ListTraitHistory(tx, id, 10); });
  ASSERT_TRUE(history.ok());
  std::vector<std::string> plans;
  for (const auto& entry : *history) {
    if (entry.name == "plan") plans.push_back(entry.value_json);
  }
  EXPECT_THAT(plans, ElementsAre("\"pro\"", "\"free\""));
}

TEST_P(IngestTest, CustomersAreFoundByTheirTraits) {
  const std::string id = Ingest({Msg({{"type", "identify"}, {"userId", "s1"},
                                      {"traits", {{"city", "České Budějovice"}, {"plan", "Gold"}, {"email", "s1@example.cz"}}}},
                                     1)}).customer_ids[0];
  auto search = [&](const std::string& text, bool contact_data) {
    Result<Page<profiles::Customer>> found = profiles::ReadResult<Page<profiles::Customer>>(
        store(), tenant_, [&](store::TenantTx& tx) {
          return profiles::ListCustomers(tx, {.search = text, .search_contact_data = contact_data}, {});
        });
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->items.size() : 0u;
  };
  EXPECT_EQ(search("budejovice", false), 1u);
  EXPECT_EQ(search("gold", false), 1u);
  EXPECT_EQ(search("s1@example", true), 1u);
  EXPECT_EQ(search("s1@example", false), 0u);  // the e-mail trait is contact data
  // A changed trait moves the customer in the index.
  Ingest({Msg({{"type", "identify"}, {"userId", "s1"}, {"traits", {{"plan", "Silver"}}}}, 2)});
  EXPECT_EQ(search("gold", false), 0u);
  EXPECT_EQ(search("silver", false), 1u);
  EXPECT_EQ(Customer(id).name, "");
}

TEST_P(IngestTest, ABatchResolvesAgainstItsOwnEarlierMessages) {
  const IngestSummary summary = Ingest({Msg({{"type", "page"}, {"anonymousId", "b1"}}, 1),
                                        Msg({{"type", "identify"}, {"anonymousId", "b1"}, {"userId", "bu"}}, 2),
                                        Msg({{"type", "track"}, {"userId", "bu"}, {"event", "Signed Up"}}, 3)});
  EXPECT_EQ(summary.profiles_created, 1);
  EXPECT_EQ(summary.merges, 0);
  EXPECT_EQ(summary.customer_ids[0], summary.customer_ids[2]);
  EXPECT_EQ(EventsOf(summary.customer_ids[0]), 3);
}

TEST_P(IngestTest, ConcurrentBatchesNamingTheSameNewPeopleEndWithOneProfileEach) {
  constexpr int kThreads = 4;
  constexpr int kPeople = 12;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      for (int person = 0; person < kPeople; ++person) {
        const std::string id = std::to_string(person);
        std::vector<events::Message> batch = {
            Msg({{"type", "identify"}, {"userId", "race-" + id}, {"anonymousId", "race-device-" + id},
                 {"messageId", "race-" + std::to_string(thread_idx) + "-" + id},
                 {"traits", {{"email", "race" + id + "@example.cz"}}}}, person)};
        const Result<IngestSummary> summary = profiles::WriteResult<IngestSummary>(store(), tenant_, [&](store::TenantTx& tx) {
          return IngestMessages(tx, batch, identity::AuditContext::System());
        });
        if (!summary.ok()) {
          ++failures;
          ADD_FAILURE() << summary.status().ToString();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  for (int person = 0; person < kPeople; ++person) {
    Result<std::optional<std::string>> owner = profiles::ReadResult<std::optional<std::string>>(
        store(), tenant_, [&](store::TenantTx& tx) {
          return profiles::FindCustomerByIdentifier(tx, {profiles::IdentifierKind::kUserId, "race-" + std::to_string(person)});
        });
    ASSERT_TRUE(owner.ok() && owner->has_value());
    EXPECT_EQ(EventsOf(**owner), kThreads) << person;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1 AND customer_id = $2", **owner), 3);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, IngestTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::ingest
