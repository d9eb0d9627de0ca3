// Tenants: the companies sharing one touchpoint installation. Every other row belongs to exactly one
// tenant; the slug is what users type at login and what appears in URLs.
//
//   TP_RETURN_IF_ERROR(store.WriteSystem([&](store::SystemTx& tx) -> Status {
//     TP_ASSIGN_OR_RETURN(Tenant tenant, CreateTenant(tx, "acme", "ACME s.r.o."));
//     ...
//   }));
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::identity {

// The settings member listing the tenant's own contact-data keys, besides the defaults
// (profiles/contact_data.h applies them).
inline constexpr std::string_view kContactDataKeysSetting = "contact_data_keys";
// Days during which a customer who was invited to a survey is not invited to another (0: no limit).
inline constexpr std::string_view kSurveyContactGapSetting = "survey_contact_gap_days";
inline constexpr int kDefaultSurveyContactGapDays = 30;

struct Tenant {
  std::string id;  // "ten_…"
  std::string slug;
  std::string name;
  std::string settings_json;  // always a JSON object
  Micros created_at = 0;
};

// Slug: 2 to 63 characters of [a-z0-9-], starting and ending with a letter or digit (a DNS label, so it
// can become a subdomain). kInvalidArgument field "slug" / "name"; kConflict field "slug" when taken.
// Records "tenant.create" in the new tenant's audit log with the system as actor.
Result<Tenant> CreateTenant(store::SystemTx& tx, std::string_view slug, std::string_view name);
// kNotFound when no tenant has this slug.
Result<Tenant> FindTenantBySlug(store::SystemTx& tx, std::string_view slug);
// The transaction's own tenant.
Result<Tenant> GetTenant(store::TenantTx& tx);
// Replaces the name and the settings document (a JSON object of at most 64 KiB; stored re-serialised).
// Its "currency" member must be what common/money.h ParseCurrencySettings reads; its
// `contact_data_keys`, when present, a list of at most 100 strings of 3 to 64 characters;
// `survey_contact_gap_days` a whole number from 0 to 365.
// kInvalidArgument field "name" / "settings" / "settings.currency…". Records "tenant.update" with before and after.
Result<Tenant> UpdateTenantSettings(store::TenantTx& tx, const AuditContext& audit, std::string_view name,
                                    std::string_view settings_json);

}  // namespace tp::identity
