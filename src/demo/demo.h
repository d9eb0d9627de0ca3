// Demo data: a complete, realistic tenant to explore touchpoint with (`touchpoint demo-data`). It holds
// a user per role, the four departments as teams, and customers, cases and feedback of a Central
// European online retailer spread over the last 180 days; two live SurveyJS surveys (NPS with attribute
// ratings after delivery, CSAT after a case) and the rules that close the loop and send them.
//
//   TP_ASSIGN_OR_RETURN(bool has_data, TenantHasData(store, "demo"));
//   if (!has_data) {
//     TP_ASSIGN_OR_RETURN(DemoSummary summary, CreateDemoData(store, DemoOptions{}));
//     for (const DemoUser& user : summary.users) print(user.email, user.password);   // shown once
//   }
//
// The data is the same for the same seed (names, contact data, subjects, scores, which customer did
// what); ids, passwords and the exact timestamps are not, since those follow the clock and the OS
// random generator. Customers, cases and responses are written in batched transactions, oldest first,
// so ids and created_at sort alike. Passwords are random per run and exist only in the summary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "identity/passwords.h"
#include "identity/permissions.h"
#include "store/store.h"

namespace tp::demo {

inline constexpr int kMaxDemoRows = 1'000'000;

struct DemoOptions {
  std::string tenant_slug = "demo";
  std::string tenant_name = "Demo Retail s.r.o.";
  int customers = 500;
  int cases = 300;
  int feedback = 1500;
  std::uint64_t seed = 42;
  identity::PasswordHashLimits password_limits = identity::PasswordHashLimits::Interactive();
};

struct DemoUser {
  std::string email;  // "<role>@demo.touchpoint.local"
  std::string name;
  identity::Role role = identity::Role::kViewer;
  std::string password;  // generated for this run; not stored anywhere but as its hash
};

struct DemoSummary {
  std::string tenant_id;
  std::string tenant_slug;
  std::vector<DemoUser> users;  // admin first, then manager, agent, analyst, viewer
  int customers = 0;
  int cases = 0;
  int feedback = 0;
  int events = 0;  // website events (sign-up identify, page views, orders, refunds) of the customers
  std::string survey_path;  // "/s/<token>": the public link of the live "After delivery" survey
};

// kConflict field "slug" when a tenant already has the slug (so a second run is refused);
// kInvalidArgument field "slug" / "name" for an invalid tenant, "customers" / "cases" / "feedback" for a
// count outside 0..kMaxDemoRows or cases or feedback without customers. The tenant, users and teams
// are created in one transaction; should a later batch fail, the tenant remains with part of the data
// and the error is returned.
Result<DemoSummary> CreateDemoData(store::Store& store, const DemoOptions& options);

// True when a tenant with this slug exists and holds customers, cases or feedback; false when there is
// no such tenant or it is empty.
Result<bool> TenantHasData(store::Store& store, std::string_view slug);

}  // namespace tp::demo
