#include "cases/macros.h"
#include "cases/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "common/crypto.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;
using profiles::ReadResult;
using profiles::WriteResult;

const MacroAgent kTereza{.name = "Tereza Malá", .email = "tereza@shop.example"};

const json kDamaged = json::parse(R"({
  "name": "Parcel damaged: a new one is on its way",
  "reply": {"body": "Dobrý den {{ customer.first_name }}, k případu {{case.id}} ({{case.order_ids}}) posíláme novou zásilku. {{agent.first_name}}"},
  "set": {"status": "pending", "priority": "high", "type": "order_issue", "add_tags": ["Damaged"]}
})");

TEST(MacroDefinition, UnknownPlaceholdersAndFieldsAreNamed) {
  auto field = [](const char* text) { return ParseMacro(json::parse(text)).status().field(); };
  EXPECT_EQ(field(R"({"name":"x","reply":{"body":"Hi {{custmer.name}}"}})"), "reply.body");
  EXPECT_EQ(field(R"({"name":"x","note":{"body":"{{case.secret}}"}})"), "note.body");
  EXPECT_EQ(field(R"({"name":"x","reply":{"body":"  "}})"), "reply.body");
  EXPECT_EQ(field(R"({"name":"x","reply":{"body":"a","format":"rtf"}})"), "reply.format");
  EXPECT_EQ(field(R"({"name":"x","reply":{"body":"a"},"note":{"body":"b"}})"), "note");
  EXPECT_EQ(field(R"({"name":"x","set":{"status":"reopened"}})"), "set.status");
  EXPECT_EQ(field(R"({"name":"x","set":{"add_tags":["two words"]}})"), "set.add_tags");
  EXPECT_EQ(field(R"({"name":"x","set":{"colour":"red"}})"), "set.colour");
  EXPECT_EQ(field(R"({"name":"x","set":{}})"), "set");
  EXPECT_EQ(field(R"({"name":"","set":{"priority":"low"}})"), "name");
  EXPECT_EQ(field(R"({"name":"x","set":{"priority":"low"},"hidden":1})"), "hidden");
  EXPECT_THAT(ParseMacro(json::parse(R"({"name":"x","reply":{"body":"{{nope}}"}})")).status().message(),
              HasSubstr("customer.first_name"));

  const Result<Macro> parsed = ParseMacro(kDamaged);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_THAT(parsed->set.add_tags, ElementsAre("damaged"));
  EXPECT_EQ(MacroJson(*parsed)["set"]["add_tags"], json::array({"damaged"}));
  EXPECT_EQ(ParseMacro(MacroJson(*parsed))->name, parsed->name);  // round trip
}

class MacrosTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<Case> created = WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) -> Result<Case> {
      TP_ASSIGN_OR_RETURN(profiles::Customer jana,
                          profiles::CreateCustomer(tx, {.name = "Jana <b>Nová</b>", .email = "jana@example.cz"}, kAgentActor));
      return CreateCase(tx, {.customer_id = jana.id, .subject = "Rozbitá zásilka", .channel = Channel::kEmail,
                             .order_ids = {"ORD-7", "ORD-9"}},
                        kAgentActor);
    });
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    case_ = *created;
  }

  store::Store& store() { return db_->store(); }

  Macro MustCreate(const json& definition) {
    Result<Macro> macro =
        WriteResult<Macro>(store(), tenant_, [&](store::TenantTx& tx) { return CreateMacro(tx, definition, kAgentActor); });
    EXPECT_TRUE(macro.ok()) << macro.status().ToString();
    return macro.ok() ? *macro : Macro{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  Case case_;
};

TEST_P(MacrosTest, APreviewFillsThePlaceholdersAndChangesNothing) {
  const Macro macro = MustCreate(kDamaged);
  auto preview = ReadResult<MacroPreview>(
      store(), tenant_, [&](store::TenantTx& tx) { return PreviewMacro(tx, macro.id, case_.id, kTereza); });
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  ASSERT_TRUE(preview->message);
  EXPECT_EQ(preview->message->body, "Dobrý den Jana, k případu " + case_.id +
                                        " (ORD-7, ORD-9) posíláme novou zásilku. Tereza");
  EXPECT_EQ(preview->set.priority, CasePriority::kHigh);
  auto unchanged = ReadResult<Case>(store(), tenant_, [&](store::TenantTx& tx) { return GetCase(tx, case_.id); });
  EXPECT_EQ(unchanged->priority, CasePriority::kNormal);
}

TEST_P(MacrosTest, ApplyingSendsTheReplyAndSetsTheFieldsInOneGo) {
  const Macro macro = MustCreate(kDamaged);
  auto applied = WriteResult<AppliedMacro>(store(), tenant_, [&](store::TenantTx& tx) {
    return ApplyMacro(tx, macro.id, case_.id, kTereza, {.from = "support@shop.example"}, kAgentActor);
  });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->item.status, CaseStatus::kPending);
  EXPECT_EQ(applied->item.priority, CasePriority::kHigh);
  EXPECT_EQ(applied->item.type, CaseType::kOrderIssue);
  EXPECT_THAT(applied->item.tags, ElementsAre("damaged"));
  ASSERT_TRUE(applied->message);
  EXPECT_EQ(applied->message->kind, MessageKind::kReply);
  EXPECT_EQ(applied->message->delivery_state, "pending");  // e-mailed to Jana
  EXPECT_THAT(applied->message->body, HasSubstr("Dobrý den Jana,"));
  EXPECT_TRUE(applied->item.first_response_at);
}

TEST_P(MacrosTest, HtmlMacrosEscapeWhatTheyFillIn) {
  const Macro macro = MustCreate(json::parse(R"({"name":"Hello","note":{"format":"html",
      "body":"<p>Zákaznice: {{customer.name}}</p>"}})"));
  auto applied = WriteResult<AppliedMacro>(store(), tenant_, [&](store::TenantTx& tx) {
    return ApplyMacro(tx, macro.id, case_.id, kTereza, {}, kAgentActor);
  });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->message->body, "<p>Zákaznice: Jana &lt;b&gt;Nová&lt;/b&gt;</p>");
  EXPECT_EQ(applied->message->rendered.text, "Zákaznice: Jana <b>Nová</b>");
  EXPECT_EQ(applied->item.status, CaseStatus::kNew);  // a note changes no status by itself
}

TEST_P(MacrosTest, StoredMacrosAreListedUpdatedAndDeleted) {
  const Macro first = MustCreate(json::parse(R"({"name":"Zavřít","set":{"status":"solved"}})"));
  MustCreate(json::parse(R"({"name":"Eskalovat","set":{"priority":"urgent"}})"));
  auto names = [&] {
    std::vector<std::string> out;
    auto macros = ReadResult<std::vector<Macro>>(store(), tenant_, [](store::TenantTx& tx) { return ListMacros(tx); });
    for (const Macro& macro : *macros) out.push_back(macro.name);
    return out;
  };
  EXPECT_THAT(names(), ElementsAre("Eskalovat", "Zavřít"));
  auto updated = WriteResult<Macro>(store(), tenant_, [&](store::TenantTx& tx) {
    return UpdateMacro(tx, first.id, json::parse(R"({"name":"Vyřešit","set":{"status":"solved"}})"), kAgentActor);
  });
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->created_at, first.created_at);
  EXPECT_THAT(names(), ElementsAre("Eskalovat", "Vyřešit"));
  ASSERT_TRUE(store().Write(tenant_, [&](store::TenantTx& tx) { return DeleteMacro(tx, first.id, kAgentActor); }).ok());
  EXPECT_THAT(names(), ElementsAre("Eskalovat"));
  const Status gone = ReadResult<Macro>(store(), tenant_, [&](store::TenantTx& tx) { return GetMacro(tx, first.id); })
                          .status();
  EXPECT_EQ(gone.code(), ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, MacrosTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
