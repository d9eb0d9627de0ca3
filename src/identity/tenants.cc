#include "identity/tenants.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/ids.h"
#include "common/money.h"
#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::string_view kFindSlug = "SELECT id FROM tenants WHERE slug = $1";
constexpr std::string_view kInsertTenant =
    "INSERT INTO tenants (id, slug, name, settings, created_at) VALUES ($1, $2, $3, '{}', $4)";
constexpr std::string_view kSelectBySlug = "SELECT id, slug, name, settings, created_at FROM tenants WHERE slug = $1";
constexpr std::string_view kSelectOwn = "SELECT id, slug, name, settings, created_at FROM tenants WHERE id = $1";
constexpr std::string_view kUpdateSettings = "UPDATE tenants SET name = $2, settings = $3 WHERE id = $1";

constexpr std::size_t kMinSlugLength = 2;
constexpr std::size_t kMaxSlugLength = 63;
constexpr std::size_t kMaxTenantNameBytes = 200;
constexpr std::size_t kMaxSettingsBytes = 64 * 1024;
constexpr std::size_t kMaxContactDataKeys = 100;
constexpr std::size_t kMaxContactDataKeyBytes = 64;
constexpr std::size_t kMinContactDataKeyLetters = 3;  // "id" or "ip" would hide half of every document

Tenant TenantFromRow(const store::Row& row) {
  return Tenant{.id = row.Text(0),
                .slug = row.Text(1),
                .name = row.Text(2),
                .settings_json = row.Text(3),
                .created_at = row.Int(4)};
}

std::string TenantJson(const Tenant& tenant) {
  return nlohmann::json{{"id", tenant.id},
                        {"slug", tenant.slug},
                        {"name", tenant.name},
                        {"settings", nlohmann::json::parse(tenant.settings_json, nullptr, false)}}
      .dump();
}

bool IsSlugCharacter(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

Status ValidateSlug(std::string_view slug) {
  const Status invalid = InvalidArgument(
      "the slug must be 2 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
      "slug");
  if (slug.size() < kMinSlugLength || slug.size() > kMaxSlugLength) return invalid;
  for (char c : slug) {
    if (!IsSlugCharacter(c)) return invalid;
  }
  if (slug.front() == '-' || slug.back() == '-') return invalid;
  return Status::Ok();
}
Status ValidateContactDataKeys(const nlohmann::json& settings) {
  const auto keys = settings.find(std::string(kContactDataKeysSetting));
  if (keys == settings.end()) return Status::Ok();
  const Status invalid = InvalidArgument(
      "settings.contact_data_keys must be a list of at most 100 keys of at most 64 bytes with at least 3 letters "
      "or digits each",
      "settings");
  if (!keys->is_array() || keys->size() > kMaxContactDataKeys) return invalid;
  for (const nlohmann::json& key : *keys) {
    if (!key.is_string() || key.get_ref<const std::string&>().size() > kMaxContactDataKeyBytes) return invalid;
    const std::string& text = key.get_ref<const std::string&>();
    const auto letters = std::count_if(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    if (static_cast<std::size_t>(letters) < kMinContactDataKeyLetters) return invalid;
  }
  return Status::Ok();
}
}  // namespace

Result<Tenant> CreateTenant(store::SystemTx& tx, std::string_view slug, std::string_view name) {
  TP_RETURN_IF_ERROR(ValidateSlug(slug));
  TP_ASSIGN_OR_RETURN(std::string clean_name, CleanName(name, "name", kMaxTenantNameBytes));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> existing, tx.QueryOne(kFindSlug, {std::string(slug)}));
  if (existing) return Conflict("the slug " + std::string(slug) + " is taken", "slug");
  Tenant tenant{.id = NewId("ten_"),
                .slug = std::string(slug),
                .name = std::move(clean_name),
                .settings_json = "{}",
                .created_at = NowMicros()};
  TP_RETURN_IF_ERROR(tx.Execute(kInsertTenant, {tenant.id, tenant.slug, tenant.name, tenant.created_at}));
  store::TenantTx tenant_tx = tx.InTenant(tenant.id);
  TP_RETURN_IF_ERROR(
      RecordAudit(tenant_tx, AuditContext::System(), "tenant.create", "tenant", tenant.id, {}, TenantJson(tenant)));
  return tenant;
}

Result<Tenant> FindTenantBySlug(store::SystemTx& tx, std::string_view slug) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectBySlug, {std::string(slug)}));
  if (!row) return NotFound("no tenant with this slug");
  return TenantFromRow(*row);
}

Result<Tenant> GetTenant(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectOwn));
  if (!row) return NotFound("no tenant " + tx.tenant_id());
  return TenantFromRow(*row);
}

Result<Tenant> UpdateTenantSettings(store::TenantTx& tx, const AuditContext& audit, std::string_view name,
                                    std::string_view settings_json) {
  TP_ASSIGN_OR_RETURN(std::string clean_name, CleanName(name, "name", kMaxTenantNameBytes));
  if (settings_json.size() > kMaxSettingsBytes) {
    return InvalidArgument("settings must be at most 64 KiB", "settings");
  }
  const nlohmann::json settings = nlohmann::json::parse(settings_json, nullptr, false);
  if (!settings.is_object()) return InvalidArgument("settings must be a JSON object", "settings");
  TP_RETURN_IF_ERROR(ParseCurrencySettings(settings_json).status());  // common/money.h
  TP_RETURN_IF_ERROR(ValidateContactDataKeys(settings));
  if (auto gap = settings.find(std::string(kSurveyContactGapSetting)); gap != settings.end()) {
    if (!gap->is_number_integer() || gap->get<std::int64_t>() < 0 || gap->get<std::int64_t>() > 365) {
      return InvalidArgument("survey_contact_gap_days must be a whole number of days from 0 to 365",
                             "settings.survey_contact_gap_days");
    }
  }

  TP_ASSIGN_OR_RETURN(Tenant before, GetTenant(tx));
  Tenant after = before;
  after.name = std::move(clean_name);
  after.settings_json = settings.dump();
  TP_RETURN_IF_ERROR(tx.Execute(kUpdateSettings, {after.name, after.settings_json}));
  TP_RETURN_IF_ERROR(
      RecordAudit(tx, audit, "tenant.update", "tenant", after.id, TenantJson(before), TenantJson(after)));
  return after;
}

}  // namespace tp::identity
