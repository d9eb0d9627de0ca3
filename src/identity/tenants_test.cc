#include "identity/tenants.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "identity/identity_test_support.h"

namespace tp::identity {
namespace {

using testing::IdentityTest;
using testing::Unwrap;

class Tenants : public IdentityTest {
 protected:
  Result<Tenant> Create(const std::string& slug, const std::string& name = "Name") {
    std::optional<Result<Tenant>> result;
    const Status status = store().WriteSystem([&](store::SystemTx& tx) -> Status {
      result.emplace(CreateTenant(tx, slug, name));
      return result->status();
    });
    if (!status.ok()) return status;
    return *result;
  }
  Result<Tenant> Find(const std::string& slug) {
    std::optional<Result<Tenant>> result;
    EXPECT_TRUE(store()
                    .ReadSystem([&](store::SystemTx& tx) -> Status {
                      result.emplace(FindTenantBySlug(tx, slug));
                      return Status::Ok();
                    })
                    .ok());
    return *result;
  }
};

TEST_P(Tenants, CreatesAndFindsBySlug) {
  const Tenant created = Unwrap(Create("acme", "  ACME s.r.o. "));
  EXPECT_TRUE(LooksLikeId(created.id, "ten_")) << created.id;
  EXPECT_EQ(created.name, "ACME s.r.o.");
  EXPECT_EQ(created.settings_json, "{}");

  const Tenant found = Unwrap(Find("acme"));
  EXPECT_EQ(found.id, created.id);
  EXPECT_EQ(found.created_at, created.created_at);
  EXPECT_EQ(Find("globex").status().code(), ErrorCode::kNotFound);

  const Tenant own = Unwrap(Write(created.id, [](store::TenantTx& tx) { return GetTenant(tx); }));
  EXPECT_EQ(own.slug, "acme");
}

TEST_P(Tenants, EnforcesSlugRules) {
  for (const std::string& slug : std::vector<std::string>{"a1", "acme-cz", "0-9", std::string(63, 'x')}) {
    EXPECT_TRUE(Create(slug).ok()) << slug;
  }
  for (const std::string& slug : std::vector<std::string>{"", "a", "Acme", "-acme", "acme-", "ac_me", "ac me", "acmé", std::string(64, 'y')}) {
    const Result<Tenant> result = Create(slug);
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << slug;
    EXPECT_EQ(result.status().field(), "slug") << slug;
  }
  EXPECT_EQ(Create("named", "   ").status().field(), "name");
}

TEST_P(Tenants, RefusesATakenSlug) {
  ASSERT_TRUE(Create("acme").ok());
  const Result<Tenant> again = Create("acme", "Another");
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(again.status().field(), "slug");
}

TEST_P(Tenants, UpdatesSettingsWithAuditBeforeAndAfter) {
  const Tenant tenant = MakeTenant("acme");
  const AuditContext audit{.actor_type = "user", .actor_id = "usr_admin", .request_id = "req-1", .ip = "192.0.2.9"};
  const Tenant updated = Unwrap(Write(tenant.id, [&](store::TenantTx& tx) {
    return UpdateTenantSettings(tx, audit, "ACME Europe", R"({"locale": "cs", "nps": {"survey": true}})");
  }));
  EXPECT_EQ(updated.name, "ACME Europe");
  EXPECT_EQ(nlohmann::json::parse(updated.settings_json)["locale"], "cs");
  EXPECT_EQ(Unwrap(Write(tenant.id, [](store::TenantTx& tx) { return GetTenant(tx); })).settings_json,
            updated.settings_json);

  const std::vector<AuditEntry> entries = AuditOf(tenant, {.action = "tenant.update"});
  ASSERT_EQ(entries.size(), 1u);
  const AuditEntry& entry = entries.front();
  EXPECT_EQ(entry.actor_id, "usr_admin");
  EXPECT_EQ(entry.request_id, "req-1");
  EXPECT_EQ(entry.ip, "192.0.2.9");
  EXPECT_EQ(entry.target_type, "tenant");
  EXPECT_EQ(entry.target_id, tenant.id);
  ASSERT_TRUE(entry.before_json && entry.after_json);
  EXPECT_EQ(nlohmann::json::parse(*entry.before_json)["name"], "acme Ltd");
  EXPECT_EQ(nlohmann::json::parse(*entry.before_json)["settings"], nlohmann::json::object());
  EXPECT_EQ(nlohmann::json::parse(*entry.after_json)["settings"]["nps"]["survey"], true);
  EXPECT_EQ(AuditOf(tenant, {.action = "tenant.create"}).size(), 1u);
}

TEST_P(Tenants, RejectsSettingsThatAreNotAJsonObject) {
  const Tenant tenant = MakeTenant("acme");
  for (const std::string& settings : std::vector<std::string>{"", "[]", "42", "{", R"({"a":1} x)", std::string(70 * 1024, ' ') + "{}"}) {
    const Result<Tenant> result = Write(tenant.id, [&](store::TenantTx& tx) {
      return UpdateTenantSettings(tx, testing::IdentityTest::System(), "ACME", settings);
    });
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << settings.substr(0, 20);
    EXPECT_EQ(result.status().field(), "settings");
  }
  EXPECT_TRUE(AuditOf(tenant, {.action = "tenant.update"}).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, Tenants, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::identity
