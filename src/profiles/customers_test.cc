#include "profiles/customers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <set>

#include "common/crypto.h"
#include "common/ids.h"
#include "store/sql_params.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::profiles {
namespace {

using store::Sql;
using store::SqlParams;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kInsertCase =
    "INSERT INTO cases (tenant_id, id, customer_id, subject, status, priority, channel, team_id, created_at, "
    "updated_at) VALUES ($1, $2, $3, 'Where is my parcel?', 'new', 'normal', 'email', $4, 0, 0)";

class CustomersTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = CreateTestTenant(store(), "acme");
  }

  store::Store& store() { return db_->store(); }

  Result<Customer> Create(const NewCustomer& customer, const std::string& tenant_id = {}) {
    return WriteResult<Customer>(store(), tenant_id.empty() ? tenant_ : tenant_id, [&](store::TenantTx& tx) {
      return CreateCustomer(tx, customer, identity::AuditContext::System());
    });
  }

  Customer MustCreate(const NewCustomer& customer) {
    Result<Customer> created = Create(customer);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Customer{};
  }

  Result<Page<Customer>> List(const CustomerQuery& query, const PageRequest& page = {},
                              const std::string& tenant_id = {}) {
    return ReadResult<Page<Customer>>(store(), tenant_id.empty() ? tenant_ : tenant_id,
                                      [&](store::TenantTx& tx) { return ListCustomers(tx, query, page); });
  }

  // The names on the first page of the query, sorted.
  std::vector<std::string> Names(const CustomerQuery& query) {
    Result<Page<Customer>> page = List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> names;
    if (!page.ok()) return names;
    for (const Customer& customer : page->items) names.push_back(customer.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  // Every id the query returns, following cursors page by page.
  std::vector<std::string> AllIds(const CustomerQuery& query, int limit) {
    std::vector<std::string> ids;
    PageRequest request{.after_id = "", .limit = limit};
    for (int page_idx = 0; page_idx < 100; ++page_idx) {
      Result<Page<Customer>> page = List(query, request);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->items.size()), limit);
      for (const Customer& customer : page->items) ids.push_back(customer.id);
      if (page->next_cursor.empty()) break;
      request = *PageRequest::Parse(page->next_cursor, std::to_string(limit));
    }
    return ids;
  }

  void AddCase(const std::string& customer_id, const std::string& team_id) {
    const Status status = store().Write(tenant_, [&](store::TenantTx& tx) {
      return tx.Execute(kInsertCase, {NewId("cas_"), customer_id, team_id}).status();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
};

TEST_P(CustomersTest, CreateNamesTheFieldThatIsInvalid) {
  EXPECT_EQ(Create({.name = std::string(201, 'x')}).status().field(), "name");
  EXPECT_EQ(Create({.name = "Jana", .email = "jana@"}).status().field(), "email");
  EXPECT_EQ(Create({.name = "Jana", .phone = "777 123 456"}).status().field(), "phone");
  EXPECT_EQ(Create({.name = "Jana", .phone = "+420 777"}).status().field(), "phone");
  EXPECT_EQ(Create({.name = "Jana", .phone = "+420 777 123 45x"}).status().field(), "phone");
  EXPECT_EQ(Create({.name = "Jana", .traits_json = "[1, 2]"}).status().field(), "traits");
  EXPECT_EQ(Create({.name = "Jana", .traits_json = "{\"city\": "}).status().field(), "traits");
  EXPECT_EQ(Create({.name = "Jana", .traits_json = "{\"a\":\"" + std::string(16 * 1024, 'x') + "\"}"})
                .status()
                .field(),
            "traits");
  EXPECT_EQ(Create({.name = "Jana", .traits_json = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}"})
                .status()
                .field(),
            "traits");
  EXPECT_EQ(Create({.name = "Jana", .created_at = NowMicros() + 3600LL * 1'000'000}).status().field(), "created_at");
  Result<Customer> invalid = Create({.name = "Jana", .email = "not an address"});
  EXPECT_EQ(invalid.status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(CustomersTest, CreateNormalisesContactDataAndGetReturnsIt) {
  const Customer created = MustCreate({.name = "  Jana Nováková ",
                                       .email = "Jana.Novakova@Example.CZ",
                                       .phone = "+420 (777) 123-456",
                                       .traits_json = R"( { "city" : "Brno", "lifetime_value": 1200 } )"});
  EXPECT_TRUE(LooksLikeId(created.id, "cus_"));
  EXPECT_EQ(created.name, "Jana Nováková");
  EXPECT_EQ(created.email, "jana.novakova@example.cz");
  EXPECT_EQ(created.phone, "+420777123456");
  EXPECT_EQ(created.traits_json, R"({"city":"Brno","lifetime_value":1200})");
  EXPECT_EQ(created.created_at, created.updated_at);

  Result<Customer> fetched = ReadResult<Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return GetCustomer(tx, created.id);
  });
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->name, created.name);
  EXPECT_EQ(fetched->email, created.email);
  EXPECT_EQ(fetched->phone, created.phone);
  EXPECT_EQ(fetched->traits_json, created.traits_json);
  EXPECT_EQ(fetched->created_at, created.created_at);

  Result<Page<identity::AuditEntry>> audit =
      ReadResult<Page<identity::AuditEntry>>(store(), tenant_, [&](store::TenantTx& tx) {
        return identity::ListAudit(tx, {.action = "customer.create"}, PageRequest{});
      });
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->items.size(), 1u);
  EXPECT_EQ(audit->items[0].target_id, created.id);
  EXPECT_EQ(nlohmann::json::parse(*audit->items[0].after_json)["traits"]["city"], "Brno");
}

TEST_P(CustomersTest, CreateKeepsAnImportedCreationTime) {
  const Micros last_year = NowMicros() - 365LL * 24 * 3600 * 1'000'000;
  const Customer created = MustCreate({.name = "Imported", .created_at = last_year});
  EXPECT_EQ(created.created_at, last_year);
  EXPECT_EQ(created.updated_at, last_year);
}

TEST_P(CustomersTest, AnotherTenantCannotSeeOrChangeTheCustomer) {
  const Customer customer = MustCreate({.name = "Jana Nováková", .email = "jana@example.cz"});
  const std::string other_tenant = CreateTestTenant(store(), "globex");

  Result<Customer> fetched = ReadResult<Customer>(store(), other_tenant, [&](store::TenantTx& tx) {
    return GetCustomer(tx, customer.id);
  });
  EXPECT_EQ(fetched.status().code(), ErrorCode::kNotFound);
  Result<Customer> updated = WriteResult<Customer>(store(), other_tenant, [&](store::TenantTx& tx) {
    return UpdateCustomer(tx, customer.id, {.name = "Stolen"}, identity::AuditContext::System());
  });
  EXPECT_EQ(updated.status().code(), ErrorCode::kNotFound);
  Result<bool> exists = ReadResult<bool>(store(), other_tenant, [&](store::TenantTx& tx) {
    return CustomerExists(tx, customer.id);
  });
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);

  EXPECT_THAT(List({}, {}, other_tenant)->items, IsEmpty());
  EXPECT_THAT(List({.search = "novak"}, {}, other_tenant)->items, IsEmpty());
  EXPECT_THAT(List({.search = customer.id}, {}, other_tenant)->items, IsEmpty());
  EXPECT_EQ(List({}, {})->items.size(), 1u);
}

TEST_P(CustomersTest, GetOfAnUnknownOrMalformedIdIsNotFound) {
  for (const std::string& id : {NewId("cus_"), std::string("cus_../../etc"), NewId("cas_")}) {
    Result<Customer> fetched = ReadResult<Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return GetCustomer(tx, id);
    });
    EXPECT_EQ(fetched.status().code(), ErrorCode::kNotFound) << id;
  }
}

TEST_P(CustomersTest, SearchFindsByNameEmailPhoneAndId) {
  const Customer jana = MustCreate(
      {.name = "Jana Nováková-Svobodová", .email = "jana.n@seznam.cz", .phone = "+420 777 123 456"});
  MustCreate({.name = "Łukasz Wiśniewski", .email = "lukasz@wp.pl", .phone = "+48 601 222 333"});
  MustCreate({.name = "Peter Novotný", .email = "peter@azet.sk", .phone = "+421 905 111 222"});

  EXPECT_THAT(Names({.search = "novak"}), ElementsAre("Jana Nováková-Svobodová"));
  EXPECT_THAT(Names({.search = "SVOBODOVÁ"}), ElementsAre("Jana Nováková-Svobodová"));
  EXPECT_THAT(Names({.search = "jana nov"}), ElementsAre("Jana Nováková-Svobodová"));
  EXPECT_THAT(Names({.search = "nov"}), ElementsAre("Jana Nováková-Svobodová", "Peter Novotný"));
  EXPECT_THAT(Names({.search = "wisn"}), ElementsAre("Łukasz Wiśniewski"));
  EXPECT_THAT(Names({.search = "Lukasz@WP"}), ElementsAre("Łukasz Wiśniewski"));
  EXPECT_THAT(Names({.search = "peter@azet.sk"}), ElementsAre("Peter Novotný"));
  EXPECT_THAT(Names({.search = "+420 777"}), ElementsAre("Jana Nováková-Svobodová"));
  EXPECT_THAT(Names({.search = "+48601222333"}), ElementsAre("Łukasz Wiśniewski"));
  EXPECT_THAT(Names({.search = "+42"}), ElementsAre("Jana Nováková-Svobodová", "Peter Novotný"));
  EXPECT_THAT(Names({.search = jana.id}), ElementsAre("Jana Nováková-Svobodová"));
  std::string lower_id = jana.id;
  std::transform(lower_id.begin(), lower_id.end(), lower_id.begin(), [](char c) { return std::tolower(c); });
  EXPECT_THAT(Names({.search = lower_id}), ElementsAre("Jana Nováková-Svobodová"));
  EXPECT_THAT(Names({.search = "zzz"}), IsEmpty());
  EXPECT_THAT(Names({.search = NewId("cus_")}), IsEmpty());
}

TEST_P(CustomersTest, SearchWithoutContactDataMatchesNamesOnly) {
  MustCreate({.name = "Jana Nováková", .email = "secret.address@example.cz", .phone = "+420777123456"});
  EXPECT_THAT(Names({.search = "secret", .search_contact_data = false}), IsEmpty());
  EXPECT_THAT(Names({.search = "+420777", .search_contact_data = false}), IsEmpty());
  EXPECT_THAT(Names({.search = "jana", .search_contact_data = false}), ElementsAre("Jana Nováková"));
  EXPECT_THAT(Names({.search = "secret"}), ElementsAre("Jana Nováková"));
}

TEST_P(CustomersTest, SearchNeedsALetterOrDigit) {
  EXPECT_EQ(List({.search = " -- "}).status().field(), "search");
  EXPECT_EQ(List({.search = std::string(201, 'a')}).status().field(), "search");
}

TEST_P(CustomersTest, OnlyTeamsShowsCustomersWithACaseOfThoseTeams) {
  const Customer jana = MustCreate({.name = "Jana"});
  const Customer petr = MustCreate({.name = "Petr"});
  const Customer ola = MustCreate({.name = "Ola"});
  MustCreate({.name = "Nobody's"});
  const std::string service = NewId("team_");
  const std::string sales = NewId("team_");
  AddCase(jana.id, service);
  AddCase(jana.id, service);
  AddCase(petr.id, sales);
  AddCase(ola.id, service);
  AddCase(ola.id, sales);

  EXPECT_THAT(Names({.only_teams = std::vector{service}}), ElementsAre("Jana", "Ola"));
  EXPECT_THAT(Names({.only_teams = std::vector{sales}}), ElementsAre("Ola", "Petr"));
  EXPECT_THAT(Names({.only_teams = std::vector{service, sales}}), ElementsAre("Jana", "Ola", "Petr"));
  EXPECT_THAT(Names({.only_teams = std::vector<std::string>{}}), IsEmpty());
  EXPECT_THAT(Names({.only_teams = std::vector{NewId("team_")}}), IsEmpty());
  EXPECT_THAT(Names({.search = "petr", .only_teams = std::vector{service}}), IsEmpty());
  EXPECT_THAT(Names({.search = "petr", .only_teams = std::vector{sales}}), ElementsAre("Petr"));
  EXPECT_EQ(Names({}).size(), 4u);

  auto visible = [&](const std::string& customer_id, const std::vector<std::string>& teams) {
    Result<bool> result = ReadResult<bool>(store(), tenant_, [&](store::TenantTx& tx) {
      return CustomerVisibleToTeams(tx, customer_id, teams);
    });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() && *result;
  };
  EXPECT_TRUE(visible(jana.id, {service}));
  EXPECT_FALSE(visible(jana.id, {sales}));
  EXPECT_TRUE(visible(petr.id, {service, sales}));
  EXPECT_FALSE(visible(petr.id, {}));
  EXPECT_FALSE(visible(NewId("cus_"), {service, sales}));
}

TEST_P(CustomersTest, PagesReturnEveryCustomerExactlyOnceInIdOrder) {
  const std::string service = NewId("team_");
  const std::string sales = NewId("team_");
  std::vector<std::string> created;
  std::vector<std::string> in_teams;
  std::vector<std::string> named_novak;
  for (int customer_idx = 0; customer_idx < 23; ++customer_idx) {
    const bool novak = customer_idx % 3 == 0;
    const Customer customer =
        MustCreate({.name = (novak ? "Novák " : "Svoboda ") + std::to_string(customer_idx)});
    created.push_back(customer.id);
    if (novak) named_novak.push_back(customer.id);
    if (customer_idx % 2 == 0) {
      // Several cases per customer and customers in both teams must still be listed once.
      AddCase(customer.id, service);
      AddCase(customer.id, service);
      if (customer_idx % 4 == 0) AddCase(customer.id, sales);
      in_teams.push_back(customer.id);
    } else if (customer_idx % 5 == 0) {
      AddCase(customer.id, sales);
      in_teams.push_back(customer.id);
    }
  }
  std::sort(created.begin(), created.end());
  std::sort(in_teams.begin(), in_teams.end());
  std::sort(named_novak.begin(), named_novak.end());

  for (int limit : {1, 5, 23, 50}) {
    EXPECT_EQ(AllIds({}, limit), created) << "limit " << limit;
    EXPECT_EQ(AllIds({.only_teams = std::vector{service, sales}}, limit), in_teams) << "limit " << limit;
    EXPECT_EQ(AllIds({.search = "novak"}, limit), named_novak) << "limit " << limit;
  }
}

// A prefix matching more than 10 000 terms (one letter typed into a search box) is answered by walking
// the customers instead of collecting the matches; the rows must be the same.
TEST_P(CustomersTest, ABroadSearchFindsTheSameCustomersPageByPage) {
  std::vector<std::string> anna_ids;
  for (int customer_idx = 0; customer_idx < 12; ++customer_idx) {
    anna_ids.push_back(MustCreate({.name = "Anna " + std::to_string(customer_idx)}).id);
  }
  MustCreate({.name = "Bohdan"});
  std::sort(anna_ids.begin(), anna_ids.end());
  // Terms of customers that do not exist make the prefix "a" broad without creating 10 000 customers.
  const Status status = store().Write(tenant_, [&](store::TenantTx& tx) -> Status {
    for (int batch_idx = 0; batch_idx < 101; ++batch_idx) {
      SqlParams params;
      std::string sql = "INSERT INTO customer_search_terms (tenant_id, term, customer_id, kind) VALUES ";
      for (int row_idx = 0; row_idx < 100; ++row_idx) {
        if (row_idx > 0) sql += ", ";
        sql += Sql({"($1, ", params.Bind("aaa" + std::to_string(batch_idx * 100 + row_idx)), ", ",
                    params.Bind(NewId("cus_")), ", 'name')"});
      }
      TP_RETURN_IF_ERROR(tx.Execute(sql, params.values()));
    }
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();

  for (int limit : {1, 5, 50}) {
    EXPECT_EQ(AllIds({.search = "a"}, limit), anna_ids) << "limit " << limit;
    EXPECT_EQ(AllIds({.search = "A", .search_contact_data = false}, limit), anna_ids) << "limit " << limit;
  }
  EXPECT_THAT(Names({.search = "b"}), ElementsAre("Bohdan"));
}

TEST_P(CustomersTest, UpdateAppliesThePatchReindexesAndAuditsTheChange) {
  const Customer customer = MustCreate({.name = "Jana Nováková", .email = "jana@example.cz"});
  Result<Customer> updated = WriteResult<Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return UpdateCustomer(tx, customer.id,
                          {.name = "Jana Svobodová", .email = std::optional<std::string>(),
                           .phone = std::optional<std::string>("+386 40 123 456"),
                           .traits_json = R"({"segment":"vip"})"},
                          identity::AuditContext::System());
  });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->name, "Jana Svobodová");
  EXPECT_EQ(updated->email, std::nullopt);
  EXPECT_EQ(updated->phone, "+38640123456");
  EXPECT_EQ(updated->traits_json, R"({"segment":"vip"})");
  EXPECT_GE(updated->updated_at, customer.updated_at);

  EXPECT_THAT(Names({.search = "novakova"}), IsEmpty());
  EXPECT_THAT(Names({.search = "jana@example"}), IsEmpty());
  EXPECT_THAT(Names({.search = "svobodova"}), ElementsAre("Jana Svobodová"));
  EXPECT_THAT(Names({.search = "+38640"}), ElementsAre("Jana Svobodová"));

  Result<Page<identity::AuditEntry>> audit =
      ReadResult<Page<identity::AuditEntry>>(store(), tenant_, [&](store::TenantTx& tx) {
        return identity::ListAudit(tx, {.action = "customer.update"}, PageRequest{});
      });
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->items.size(), 1u);
  const auto before = nlohmann::json::parse(*audit->items[0].before_json);
  const auto after = nlohmann::json::parse(*audit->items[0].after_json);
  EXPECT_EQ(before["name"], "Jana Nováková");
  EXPECT_EQ(after["name"], "Jana Svobodová");
  EXPECT_EQ(before["email"], "jana@example.cz");
  EXPECT_TRUE(after["email"].is_null());
  EXPECT_EQ(after["traits"]["segment"], "vip");
}

TEST_P(CustomersTest, UpdateValidatesAndANoOpRecordsNothing) {
  const Customer customer = MustCreate({.name = "Jana", .email = "jana@example.cz"});
  auto update = [&](const CustomerPatch& patch) {
    return WriteResult<Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return UpdateCustomer(tx, customer.id, patch, identity::AuditContext::System());
    });
  };
  EXPECT_EQ(update({.email = std::optional<std::string>("nope")}).status().field(), "email");
  EXPECT_EQ(update({.phone = std::optional<std::string>("12")}).status().field(), "phone");
  EXPECT_EQ(update({.traits_json = "3"}).status().field(), "traits");
  Result<Customer> unchanged = update({.name = "Jana", .email = std::optional<std::string>("JANA@example.cz")});
  ASSERT_TRUE(unchanged.ok()) << unchanged.status().ToString();
  EXPECT_EQ(unchanged->updated_at, customer.updated_at);
  Result<Page<identity::AuditEntry>> audit =
      ReadResult<Page<identity::AuditEntry>>(store(), tenant_, [&](store::TenantTx& tx) {
        return identity::ListAudit(tx, {.action = "customer.update"}, PageRequest{});
      });
  ASSERT_TRUE(audit.ok());
  EXPECT_THAT(audit->items, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomersTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::profiles
