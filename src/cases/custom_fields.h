// Custom case fields a tenant defines (order number, product, refund amount, purchase date): each has a
// key, a label, a kind (text, number, date, choice) and, for a choice, its options. Cases carry their
// values in `Case::custom_fields_json`, checked against these definitions on every write.
//
//   TP_ASSIGN_OR_RETURN(CustomField product, CreateCustomField(tx, {.key = "product", .label = "Product",
//                                             .kind = FieldKind::kChoice, .choices = {"shoes", "bags"}}, audit));
//   TP_ASSIGN_OR_RETURN(Case item, UpdateCase(tx, case_id, {.custom_fields_json = R"({"product": "shoes"})"}, audit));
//
// A field is never deleted, only deactivated (Zendesk's way): its values stay on the cases and in
// reports, but no write may set it any more. Its kind never changes, so stored values stay valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr std::size_t kMaxCustomFields = 100;        // per tenant
inline constexpr std::size_t kMaxCustomFieldKeyBytes = 40;
inline constexpr std::size_t kMaxCustomFieldLabelChars = 100;
inline constexpr std::size_t kMaxChoices = 200;
inline constexpr std::size_t kMaxChoiceChars = 100;
inline constexpr std::size_t kMaxCustomTextChars = 2000;

enum class FieldKind { kText, kNumber, kDate, kChoice };
std::string_view FieldKindName(FieldKind kind);      // "text", "number", "date", "choice"
Result<FieldKind> ParseFieldKind(std::string_view name);  // kInvalidArgument field "kind"

struct CustomField {
  std::string key;  // [a-z][a-z0-9_]*, at most kMaxCustomFieldKeyBytes
  std::string label;
  FieldKind kind = FieldKind::kText;
  std::vector<std::string> choices;  // a choice field's options, in display order
  bool active = true;
  std::int64_t position = 0;  // display order, then key
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct NewCustomField {
  std::string key;
  std::string label;
  FieldKind kind = FieldKind::kText;
  std::vector<std::string> choices;
  std::optional<std::int64_t> position;  // after the last one when absent
};

struct CustomFieldPatch {
  std::optional<std::string> label;
  std::optional<std::vector<std::string>> choices;  // a choice field's; options in use may be removed
  std::optional<bool> active;
  std::optional<std::int64_t> position;
};

// kInvalidArgument: "key" (not [a-z][a-z0-9_]*, too long), "label" (empty, too long), "choices"
// (given for another kind, none or more than kMaxChoices for a choice, an empty, too long or repeated
// option); kConflict field "key" when the tenant has it; kFailedPrecondition at kMaxCustomFields.
// Records "case_field.create".
Result<CustomField> CreateCustomField(store::TenantTx& tx, const NewCustomField& input,
                                      const identity::AuditContext& audit);
// Validates as CreateCustomField; kNotFound field "key". Records "case_field.update".
Result<CustomField> UpdateCustomField(store::TenantTx& tx, std::string_view key, const CustomFieldPatch& patch,
                                      const identity::AuditContext& audit);
Result<std::vector<CustomField>> ListCustomFields(store::TenantTx& tx);  // by position, then key

// The values after writing `patch_json` (a JSON object: key → value, null removes the key) over
// `current_json`, as a JSON object text. Each value must fit its field: text a string of at most
// kMaxCustomTextChars, number a finite JSON number, date "YYYY-MM-DD" (a real day), choice one of its
// options. kInvalidArgument naming "custom_fields" (not an object) or "custom_fields.<key>" (no such
// field, deactivated, or a value that does not fit).
Result<std::string> MergeCustomFields(store::TenantTx& tx, std::string_view current_json, std::string_view patch_json);

}  // namespace tp::cases
