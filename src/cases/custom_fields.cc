#include "cases/custom_fields.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "profiles/text.h"

namespace tp::cases {
namespace {

using nlohmann::json;

constexpr std::string_view kSelectFields =
    "SELECT key, label, kind, choices, active, position, created_at, updated_at FROM case_fields WHERE tenant_id = $1";

Result<CustomField> FieldFromRow(const store::Row& row) {
  CustomField field{.key = row.Text(0), .label = row.Text(1)};
  TP_ASSIGN_OR_RETURN(field.kind, ParseFieldKind(row.Text(2)));
  const json choices = json::parse(row.Text(3), nullptr, false);
  if (choices.is_array()) {
    for (const json& choice : choices) {
      if (choice.is_string()) field.choices.push_back(choice.get<std::string>());
    }
  }
  field.active = row.Int(4) != 0;
  field.position = row.Int(5);
  field.created_at = row.Int(6);
  field.updated_at = row.Int(7);
  return field;
}

json FieldJson(const CustomField& field) {
  return {{"key", field.key},         {"label", field.label},   {"kind", FieldKindName(field.kind)},
          {"choices", field.choices}, {"active", field.active}, {"position", field.position}};
}

Status CheckKey(std::string_view key) {
  const bool well_formed =
      !key.empty() && key.size() <= kMaxCustomFieldKeyBytes && key[0] >= 'a' && key[0] <= 'z' &&
      std::all_of(key.begin(), key.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!well_formed) {
    return InvalidArgument("a field key is 1 to " + std::to_string(kMaxCustomFieldKeyBytes) +
                               " lower-case letters, digits and underscores, starting with a letter",
                           "key");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> CleanChoices(FieldKind kind, const std::vector<std::string>& choices) {
  if (kind != FieldKind::kChoice) {
    if (!choices.empty()) return InvalidArgument("only a choice field has choices", "choices");
    return choices;
  }
  if (choices.empty() || choices.size() > kMaxChoices) {
    return InvalidArgument("a choice field has 1 to " + std::to_string(kMaxChoices) + " choices", "choices");
  }
  std::vector<std::string> out;
  for (const std::string& choice : choices) {
    TP_ASSIGN_OR_RETURN(std::string clean, profiles::CleanLine(choice, "choices", kMaxChoiceChars, true));
    if (std::find(out.begin(), out.end(), clean) != out.end()) {
      return InvalidArgument("the choice \"" + clean + "\" is repeated", "choices");
    }
    out.push_back(std::move(clean));
  }
  return out;
}

Result<std::optional<CustomField>> FindField(store::TenantTx& tx, std::string_view key) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(std::string(kSelectFields) + " AND key = $2", {std::string(key)}));
  if (!row) return std::optional<CustomField>();
  TP_ASSIGN_OR_RETURN(CustomField field, FieldFromRow(*row));
  return std::optional<CustomField>(std::move(field));
}

Status WriteField(store::TenantTx& tx, const CustomField& field) {
  return tx
      .Execute("INSERT INTO case_fields (tenant_id, key, label, kind, choices, active, position, created_at, updated_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, key) DO UPDATE SET "
               "label = excluded.label, choices = excluded.choices, active = excluded.active, "
               "position = excluded.position, updated_at = excluded.updated_at",
               {field.key, field.label, std::string(FieldKindName(field.kind)), json(field.choices).dump(),
                std::int64_t{field.active ? 1 : 0}, field.position, field.created_at, field.updated_at})
      .status();
}

bool IsRealDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t index : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[index] < '0' || text[index] > '9') return false;
  }
  const auto number = [&](std::size_t from, std::size_t length) {
    int value = 0;
    for (std::size_t index = from; index < from + length; ++index) value = value * 10 + (text[index] - '0');
    return value;
  };
  const std::chrono::year_month_day day{std::chrono::year(number(0, 4)),
                                        std::chrono::month(static_cast<unsigned>(number(5, 2))),
                                        std::chrono::day(static_cast<unsigned>(number(8, 2)))};
  return day.ok();
}

Status CheckValue(const CustomField& field, const json& value, const std::string& path) {
  switch (field.kind) {
    case FieldKind::kText:
      if (!value.is_string()) return InvalidArgument(path + " must be text", path);
      return profiles::CheckFreeText(value.get<std::string>(), path, kMaxCustomTextChars);
    case FieldKind::kNumber:
      if (!value.is_number() || !std::isfinite(value.get<double>())) return InvalidArgument(path + " must be a number", path);
      return Status::Ok();
    case FieldKind::kDate:
      if (!value.is_string() || !IsRealDay(value.get<std::string>())) {
        return InvalidArgument(path + " must be a date as YYYY-MM-DD", path);
      }
      return Status::Ok();
    case FieldKind::kChoice:
      if (!value.is_string() ||
          std::find(field.choices.begin(), field.choices.end(), value.get<std::string>()) == field.choices.end()) {
        return InvalidArgument(path + " must be one of the field's choices", path);
      }
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

std::string_view FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kText: return "text";
    case FieldKind::kNumber: return "number";
    case FieldKind::kDate: return "date";
    case FieldKind::kChoice: return "choice";
  }
  return "text";
}

Result<FieldKind> ParseFieldKind(std::string_view name) {
  if (name == "text") return FieldKind::kText;
  if (name == "number") return FieldKind::kNumber;
  if (name == "date") return FieldKind::kDate;
  if (name == "choice") return FieldKind::kChoice;
  return InvalidArgument("kind must be text, number, date or choice", "kind");
}

Result<CustomField> CreateCustomField(store::TenantTx& tx, const NewCustomField& input,
                                      const identity::AuditContext& audit) {
  TP_RETURN_IF_ERROR(CheckKey(input.key));
  CustomField field{.key = input.key, .kind = input.kind};
  TP_ASSIGN_OR_RETURN(field.label, profiles::CleanLine(input.label, "label", kMaxCustomFieldLabelChars, true));
  TP_ASSIGN_OR_RETURN(field.choices, CleanChoices(input.kind, input.choices));
  if (input.position && *input.position < 0) return InvalidArgument("position must not be negative", "position");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> counts,
                      tx.QueryOne("SELECT COUNT(*), COALESCE(MAX(position), -1) FROM case_fields WHERE tenant_id = $1"));
  if (counts && static_cast<std::size_t>(counts->Int(0)) >= kMaxCustomFields) {
    return FailedPrecondition("a tenant has at most " + std::to_string(kMaxCustomFields) + " case fields");
  }
  TP_ASSIGN_OR_RETURN(const std::optional<CustomField> existing, FindField(tx, input.key));
  if (existing) return Conflict("a case field with this key exists", "key");
  field.position = input.position.value_or(counts ? counts->Int(1) + 1 : 0);
  field.created_at = field.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(WriteField(tx, field));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "case_field.create", "case_field", field.key, {},
                                           FieldJson(field).dump()));
  return field;
}

Result<CustomField> UpdateCustomField(store::TenantTx& tx, std::string_view key, const CustomFieldPatch& patch,
                                      const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const std::optional<CustomField> found, FindField(tx, key));
  if (!found) return Status(ErrorCode::kNotFound, "no such case field", "key");
  CustomField field = *found;
  if (patch.label) {
    TP_ASSIGN_OR_RETURN(field.label, profiles::CleanLine(*patch.label, "label", kMaxCustomFieldLabelChars, true));
  }
  if (patch.choices) {
    TP_ASSIGN_OR_RETURN(field.choices, CleanChoices(field.kind, *patch.choices));
  }
  if (patch.active) field.active = *patch.active;
  if (patch.position) {
    if (*patch.position < 0) return InvalidArgument("position must not be negative", "position");
    field.position = *patch.position;
  }
  const json before = FieldJson(*found);
  const json after = FieldJson(field);
  if (before == after) return field;
  field.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(WriteField(tx, field));
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "case_field.update", "case_field", field.key, before.dump(), after.dump()));
  return field;
}

Result<std::vector<CustomField>> ListCustomFields(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(std::string(kSelectFields) + " ORDER BY position, key"));
  std::vector<CustomField> out;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(CustomField field, FieldFromRow(row));
    out.push_back(std::move(field));
  }
  return out;
}

Result<std::string> MergeCustomFields(store::TenantTx& tx, std::string_view current_json, std::string_view patch_json) {
  const json patch = json::parse(patch_json, nullptr, false);
  if (!patch.is_object()) return InvalidArgument("custom_fields must be an object of field values", "custom_fields");
  json values = json::parse(current_json, nullptr, false);
  if (!values.is_object()) values = json::object();
  if (patch.empty()) return values.dump();
  TP_ASSIGN_OR_RETURN(const std::vector<CustomField> fields, ListCustomFields(tx));
  std::map<std::string_view, const CustomField*> by_key;
  for (const CustomField& field : fields) by_key.emplace(field.key, &field);
  for (const auto& [key, value] : patch.items()) {
    const std::string path = "custom_fields." + key;
    const auto field = by_key.find(key);
    if (field == by_key.end()) return InvalidArgument("there is no case field " + key, path);
    if (!field->second->active) return InvalidArgument("the case field " + key + " is deactivated", path);
    if (value.is_null()) {
      values.erase(key);
      continue;
    }
    TP_RETURN_IF_ERROR(CheckValue(*field->second, value, path));
    values[key] = value;
  }
  return values.dump();
}

}  // namespace tp::cases
