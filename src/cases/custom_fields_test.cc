#include "cases/custom_fields.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "cases/cases.h"
#include "cases/conversation.h"
#include "common/crypto.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using nlohmann::json;
using profiles::ReadResult;
using profiles::WriteResult;

const identity::AuditContext kManager{.actor_type = "user", .actor_id = "usr_manager"};

class CustomFieldsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    other_tenant_ = profiles::CreateTestTenant(store(), "globex");
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana Nová"}, kManager);
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_id_ = customer->id;
    for (const NewCustomField& field :
         {NewCustomField{.key = "product", .label = "Product", .kind = FieldKind::kChoice, .choices = {"shoes", "bags"}},
          NewCustomField{.key = "refund_amount", .label = "Refund (CZK)", .kind = FieldKind::kNumber},
          NewCustomField{.key = "purchased_on", .label = "Purchased on", .kind = FieldKind::kDate},
          NewCustomField{.key = "serial", .label = "Serial number", .kind = FieldKind::kText}}) {
      ASSERT_TRUE(Create(field).ok());
    }
  }

  store::Store& store() { return db_->store(); }

  Result<CustomField> Create(const NewCustomField& field, const std::string& tenant = {}) {
    return WriteResult<CustomField>(store(), tenant.empty() ? tenant_ : tenant,
                                    [&](store::TenantTx& tx) { return CreateCustomField(tx, field, kManager); });
  }
  Result<Case> Open(const std::string& values) {
    return WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) {
      return CreateCase(tx, {.customer_id = customer_id_, .subject = "Boty", .custom_fields_json = values}, kManager);
    });
  }
  Result<Case> Patch(const std::string& case_id, const std::string& values) {
    return WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) {
      return UpdateCase(tx, case_id, {.custom_fields_json = values}, kManager);
    });
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string other_tenant_;
  std::string customer_id_;
};

TEST_P(CustomFieldsTest, DefinitionsAreValidatedNamingTheField) {
  const auto field_of = [&](const NewCustomField& field) { return Create(field).status().field(); };
  EXPECT_EQ(field_of({.key = "Product", .label = "x"}), "key");
  EXPECT_EQ(field_of({.key = "1st", .label = "x"}), "key");
  EXPECT_EQ(field_of({.key = std::string(41, 'a'), .label = "x"}), "key");
  EXPECT_EQ(field_of({.key = "colour", .label = " "}), "label");
  EXPECT_EQ(field_of({.key = "colour", .label = "Colour", .kind = FieldKind::kChoice}), "choices");
  EXPECT_EQ(field_of({.key = "colour", .label = "Colour", .kind = FieldKind::kChoice, .choices = {"red", "red"}}),
            "choices");
  EXPECT_EQ(field_of({.key = "colour", .label = "Colour", .kind = FieldKind::kText, .choices = {"red"}}), "choices");
  const Result<CustomField> again = Create({.key = "product", .label = "Product"});
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(again.status().field(), "key");
  EXPECT_TRUE(Create({.key = "product", .label = "Product"}, other_tenant_).ok());  // keys are per tenant
  EXPECT_EQ(ParseFieldKind("money").status().field(), "kind");

  const Result<std::vector<CustomField>> listed =
      ReadResult<std::vector<CustomField>>(store(), tenant_, [&](store::TenantTx& tx) { return ListCustomFields(tx); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ((*listed)[0].key, "product");  // in the order they were made
  EXPECT_EQ((*listed)[3].key, "serial");
  EXPECT_EQ((*listed)[0].choices, (std::vector<std::string>{"shoes", "bags"}));
}

TEST_P(CustomFieldsTest, CasesCarryValuesThatFitTheirFields) {
  const Result<Case> opened = Open(R"({"product": "shoes", "refund_amount": 1299.5, "purchased_on": "2026-11-30"})");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(json::parse(opened->custom_fields_json),
            json::parse(R"({"product": "shoes", "refund_amount": 1299.5, "purchased_on": "2026-11-30"})"));

  // A patch sets the keys it names and removes those it sets to null.
  const Result<Case> patched = Patch(opened->id, R"({"serial": "SN-1", "refund_amount": null})");
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(json::parse(patched->custom_fields_json),
            json::parse(R"({"product": "shoes", "purchased_on": "2026-11-30", "serial": "SN-1"})"));
  const Result<Case> read =
      ReadResult<Case>(store(), tenant_, [&](store::TenantTx& tx) { return GetCase(tx, opened->id); });
  EXPECT_EQ(json::parse(read->custom_fields_json), json::parse(patched->custom_fields_json));

  // The history says what changed, before and after.
  const Result<std::vector<TimelineEntry>> timeline = ReadResult<std::vector<TimelineEntry>>(
      store(), tenant_, [&](store::TenantTx& tx) { return ReadConversation(tx, opened->id); });
  ASSERT_TRUE(timeline.ok());
  ASSERT_EQ(timeline->size(), 2u);
  ASSERT_TRUE(timeline->back().change);
  EXPECT_EQ(json::parse(timeline->back().change->before_json)["custom_fields"],
            json::parse(R"({"refund_amount": 1299.5, "serial": null})"));
  EXPECT_EQ(json::parse(timeline->back().change->after_json)["custom_fields"],
            json::parse(R"({"refund_amount": null, "serial": "SN-1"})"));

  // The change feed names the keys, never the values (they can be personal data).
  const Status feed = store().ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT data FROM change_feed WHERE kind = 'case.updated'"));
    EXPECT_EQ(rows.size(), 1u);
    if (rows.size() == 1) {
      const json data = json::parse(rows[0].Text(0));
      EXPECT_EQ(data["after"]["custom_fields"], json::parse(R"(["refund_amount", "serial"])"));
      EXPECT_EQ(rows[0].Text(0).find("SN-1"), std::string::npos);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(feed.ok()) << feed.ToString();

  for (const auto& [values, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"product": "hats"})", "custom_fields.product"},
           {R"({"refund_amount": "12"})", "custom_fields.refund_amount"},
           {R"({"purchased_on": "2026-02-30"})", "custom_fields.purchased_on"},
           {R"({"purchased_on": "30.11.2026"})", "custom_fields.purchased_on"},
           {R"({"serial": 7})", "custom_fields.serial"},
           {R"({"colour": "red"})", "custom_fields.colour"},
           {R"(["shoes"])", "custom_fields"}}) {
    EXPECT_EQ(Open(values).status().field(), field) << values;
    EXPECT_EQ(Patch(opened->id, values).status().field(), field) << values;
  }
}

TEST_P(CustomFieldsTest, ADeactivatedFieldKeepsItsValuesButTakesNoNewOnes) {
  const Result<Case> opened = Open(R"({"product": "bags"})");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const Result<CustomField> deactivated = WriteResult<CustomField>(store(), tenant_, [&](store::TenantTx& tx) {
    return UpdateCustomField(tx, "product", {.label = "Product line", .active = false}, kManager);
  });
  ASSERT_TRUE(deactivated.ok()) << deactivated.status().ToString();
  EXPECT_FALSE(deactivated->active);
  EXPECT_EQ(deactivated->label, "Product line");
  EXPECT_EQ(Patch(opened->id, R"({"product": "shoes"})").status().field(), "custom_fields.product");
  const Result<Case> other = Patch(opened->id, R"({"serial": "SN-2"})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(json::parse(other->custom_fields_json)["product"], "bags");

  const Result<CustomField> missing = WriteResult<CustomField>(store(), other_tenant_, [&](store::TenantTx& tx) {
    return UpdateCustomField(tx, "serial", {.active = false}, kManager);
  });
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "key");
  const Result<CustomField> kind_choices = WriteResult<CustomField>(store(), tenant_, [&](store::TenantTx& tx) {
    return UpdateCustomField(tx, "serial", {.choices = std::vector<std::string>{"a"}}, kManager);
  });
  EXPECT_EQ(kind_choices.status().field(), "choices");
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomFieldsTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
