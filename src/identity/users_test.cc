#include "identity/users.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "identity/identity_test_support.h"
#include "identity/totp.h"

namespace tp::identity {
namespace {

using testing::FastHash;
using testing::IdentityTest;
using testing::kMinute;
using testing::kPassword;
using testing::kT0;
using testing::Unwrap;

constexpr std::string_view kSelectPasswordHash = "SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2";

class Users : public IdentityTest {
 protected:
  Users() : tenant_(MakeTenant("acme")), admin_(MakeUser(tenant_, "admin@acme.example", Role::kAdmin)) {}

  Result<User> Create(NewUser user) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return CreateUser(tx, System(), user, FastHash()); });
  }
  Result<User> Update(const std::string& user_id, const UserPatch& patch) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return UpdateUser(tx, System(), user_id, patch); });
  }
  Status Change(const std::string& user_id, std::string_view current, std::string_view next,
                std::string_view keep_session_id) {
    return Write(tenant_.id, [&](store::TenantTx& tx) {
      return ChangePassword(tx, System(), user_id, current, next, keep_session_id, FastHash());
    });
  }

  Tenant tenant_;
  User admin_;
};

TEST_P(Users, CreatesWithALowerCasedEmailAndAnArgon2idHash) {
  const User user = Unwrap(Create({.email = "  Ana.Novak@ACME.example ",
                                   .name = "Ana Nováková",
                                   .role = Role::kAnalyst,
                                   .password = std::string(kPassword),
                                   .contact_data_granted = true}));
  EXPECT_TRUE(LooksLikeId(user.id, "usr_")) << user.id;
  EXPECT_EQ(user.tenant_id, tenant_.id);
  EXPECT_EQ(user.email, "ana.novak@acme.example");
  EXPECT_EQ(user.role, Role::kAnalyst);
  EXPECT_TRUE(user.contact_data_granted);
  EXPECT_FALSE(user.totp_enabled);
  EXPECT_FALSE(user.disabled);

  const User fetched = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return GetUser(tx, user.id); }));
  EXPECT_EQ(fetched.email, user.email);
  EXPECT_EQ(fetched.name, "Ana Nováková");
  EXPECT_EQ(fetched.created_at, user.created_at);

  const store::Rows rows =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return tx.Query(kSelectPasswordHash, {user.id}); }));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().Text(0).rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(rows.front().Text(0), kPassword));
}

TEST_P(Users, NamesTheInvalidField) {
  const struct {
    NewUser user;
    std::string_view field;
  } kCases[] = {
      {{.email = "not-an-email", .name = "A", .password = std::string(kPassword)}, "email"},
      {{.email = "a@b", .name = "A", .password = std::string(kPassword)}, "email"},
      {{.email = "a b@acme.example", .name = "A", .password = std::string(kPassword)}, "email"},
      {{.email = "x@acme.example", .name = "  ", .password = std::string(kPassword)}, "name"},
      {{.email = "x@acme.example", .name = "A\x01", .password = std::string(kPassword)}, "name"},
      {{.email = "x@acme.example", .name = "A", .password = "short"}, "password"},
  };
  for (const auto& test_case : kCases) {
    const Result<User> result = Create(test_case.user);
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << test_case.field;
    EXPECT_EQ(result.status().field(), test_case.field);
  }
}

TEST_P(Users, RefusesADuplicateEmailWhateverItsCase) {
  const Result<User> duplicate =
      Create({.email = "ADMIN@acme.example", .name = "Another", .password = std::string(kPassword)});
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(duplicate.status().field(), "email");
}

TEST_P(Users, FindsAUserByEmailWhateverItsCase) {
  const Result<User> found = Write(tenant_.id, [&](store::TenantTx& tx) { return FindUserByEmail(tx, "Admin@ACME.example"); });
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, admin_.id);
  const Result<User> missing = Write(tenant_.id, [&](store::TenantTx& tx) { return FindUserByEmail(tx, "nobody@acme.example"); });
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST_P(Users, ListsInIdOrderAcrossPages) {
  std::vector<std::string> expected{admin_.id};
  for (int user_idx = 0; user_idx < 4; ++user_idx) {
    expected.push_back(MakeUser(tenant_, "user" + std::to_string(user_idx) + "@acme.example").id);
  }
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    const PageRequest request = Unwrap(PageRequest::Parse(cursor, "2"));
    const Page<User> page = Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return ListUsers(tx, request); }));
    for (const User& user : page.items) seen.push_back(user.id);
    cursor = page.next_cursor.empty() ? std::nullopt : std::optional(page.next_cursor);
    ++pages;
  } while (cursor);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);
}

TEST_P(Users, UpdatesFieldsAndRecordsBeforeAndAfter) {
  const User agent = MakeUser(tenant_, "agent@acme.example");
  const User updated = Unwrap(Update(agent.id, {.name = "Agent Smith", .role = Role::kManager}));
  EXPECT_EQ(updated.name, "Agent Smith");
  EXPECT_EQ(updated.role, Role::kManager);
  EXPECT_EQ(Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return GetUser(tx, agent.id); })).role,
            Role::kManager);

  const std::vector<AuditEntry> entries = AuditOf(tenant_, {.action = "user.update"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(entries.front().before_json.value())["role"], "agent");
  EXPECT_EQ(nlohmann::json::parse(entries.front().after_json.value())["role"], "manager");

  EXPECT_EQ(Update(agent.id, {.name = ""}).status().field(), "name");
  // A patch that changes nothing records nothing.
  ASSERT_TRUE(Update(agent.id, {.name = "Agent Smith"}).ok());
  EXPECT_EQ(AuditOf(tenant_, {.action = "user.update"}).size(), 1u);
}

TEST_P(Users, KeepsAnEnabledAdmin) {
  EXPECT_EQ(Update(admin_.id, {.role = Role::kAgent}).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Update(admin_.id, {.disabled = true}).status().field(), "disabled");
  const User second = MakeUser(tenant_, "second@acme.example", Role::kAdmin);
  EXPECT_TRUE(Update(admin_.id, {.disabled = true}).ok());
  EXPECT_EQ(Update(second.id, {.role = Role::kViewer}).status().code(), ErrorCode::kFailedPrecondition);
}

TEST_P(Users, AreInvisibleFromAnotherTenant) {
  const Tenant other = MakeTenant("globex");
  const User theirs = MakeUser(other, "boss@globex.example", Role::kAdmin);
  EXPECT_EQ(Write(tenant_.id, [&](store::TenantTx& tx) { return GetUser(tx, theirs.id); }).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(Update(theirs.id, {.disabled = true}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Change(theirs.id, kPassword, "a new password 1", "").code(), ErrorCode::kNotFound);
  const Page<User> page = Unwrap(Write(tenant_.id, [](store::TenantTx& tx) { return ListUsers(tx, {}); }));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items.front().id, admin_.id);
  // The same e-mail may exist in two tenants.
  EXPECT_TRUE(Create({.email = "boss@globex.example", .name = "Local", .password = std::string(kPassword)}).ok());
}

TEST_P(Users, ChangingThePasswordEndsOtherSessionsButKeepsTheCurrentOne) {
  const NewSession laptop = Unwrap(LogIn(tenant_, admin_.email));
  const NewSession phone = Unwrap(LogIn(tenant_, admin_.email));

  const Status wrong = Change(admin_.id, "not the password", "a new password 1", laptop.session_id);
  EXPECT_EQ(wrong.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong.field(), "current_password");
  EXPECT_EQ(Change(admin_.id, kPassword, "short", laptop.session_id).field(), "new_password");

  ASSERT_TRUE(Change(admin_.id, kPassword, "a new password 1", laptop.session_id).ok());
  const LoginPolicy policy = testing::FastPolicy();
  EXPECT_TRUE(AuthenticateSession(store(), laptop.token, policy, kT0).ok());
  EXPECT_EQ(AuthenticateSession(store(), phone.token, policy, kT0).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(LogIn(tenant_, admin_.email).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(LogIn(tenant_, admin_.email, "a new password 1").ok());
  EXPECT_EQ(AuditOf(tenant_, {.action = "user.password_change"}).size(), 1u);
}

TEST_P(Users, EnrolsTotpInTwoSteps) {
  const std::string secret =
      Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return BeginTotpEnrollment(tx, System(), admin_.id); }));
  // Not required until confirmed.
  EXPECT_TRUE(LogIn(tenant_, admin_.email).ok());

  const auto confirm = [&](const std::string& code, Micros now) {
    return Write(tenant_.id,
                 [&](store::TenantTx& tx) { return ConfirmTotpEnrollment(tx, System(), admin_.id, code, now); });
  };
  const Micros now = kT0 + 5 * kMinute;
  EXPECT_EQ(confirm("000000" == TotpCode(secret, now) ? "111111" : "000000", now).field(), "totp_code");
  ASSERT_TRUE(confirm(TotpCode(secret, now), now).ok());
  EXPECT_TRUE(Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return GetUser(tx, admin_.id); })).totp_enabled);
  EXPECT_EQ(confirm(TotpCode(secret, now), now).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Write(tenant_.id, [&](store::TenantTx& tx) { return BeginTotpEnrollment(tx, System(), admin_.id); })
                .status()
                .code(),
            ErrorCode::kFailedPrecondition);

  // The confirming code is spent: it cannot sign in as well.
  EXPECT_EQ(LogIn(tenant_, admin_.email, kPassword, now, TotpCode(secret, now)).status().code(),
            ErrorCode::kUnauthenticated);

  const auto disable = [&](std::string_view password) {
    return Write(tenant_.id, [&](store::TenantTx& tx) { return DisableTotp(tx, System(), admin_.id, password); });
  };
  EXPECT_EQ(disable("wrong password").field(), "current_password");
  ASSERT_TRUE(disable(kPassword).ok());
  EXPECT_FALSE(Unwrap(Write(tenant_.id, [&](store::TenantTx& tx) { return GetUser(tx, admin_.id); })).totp_enabled);
  EXPECT_TRUE(LogIn(tenant_, admin_.email, kPassword, now).ok());
  EXPECT_EQ(AuditOf(tenant_, {.action = "user.totp_enable"}).size(), 1u);
  EXPECT_EQ(AuditOf(tenant_, {.action = "user.totp_disable"}).size(), 1u);
}

TEST_P(Users, ConfirmingWithoutBeginningFails) {
  const Status status = Write(tenant_.id, [&](store::TenantTx& tx) {
    return ConfirmTotpEnrollment(tx, System(), admin_.id, "123456", kT0);
  });
  EXPECT_EQ(status.code(), ErrorCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Backends, Users, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::identity
