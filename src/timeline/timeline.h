// One customer's history in one list: events, cases, survey responses and notes, newest first, with
// cursor paging and a filter by kind; and the profile summary shown beside it (last NPS and CSAT, open
// cases). Messages of a case's conversation join when cases grow one (a later issue); the kinds are
// listed in TimelineKind so the API and the web app can already filter by them.
//
//   TP_ASSIGN_OR_RETURN(Page<TimelineEntry> page,
//                       CustomerTimeline(tx, {.customer_id = id, .kinds = {TimelineKind::kCase}}, request));
//
// Every kind is read newest first from its own (tenant_id, customer_id, time, id) index with the page
// size as limit, and the sorted runs are merged, so a page costs a few short index ranges however long
// the history is.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::timeline {

// A completed survey response is a survey_response entry with its answers; its NPS/CSAT/CES scores are
// feedback entries too (what the profile summary and metrics count).
enum class TimelineKind { kEvent, kCase, kFeedback, kNote, kSurveyResponse };
std::string_view TimelineKindName(TimelineKind kind);  // "event", "case", "feedback", "note", "survey_response"
// kInvalidArgument field "kind".
Result<TimelineKind> ParseTimelineKind(std::string_view name);

struct TimelineEntry {
  TimelineKind kind = TimelineKind::kEvent;
  std::string id;  // the event's, case's, response's or note's id
  Micros at = 0;
  std::string title;          // "Order Completed", a case subject, "NPS 9", the note's first line
  nlohmann::json detail;      // the kind's own fields
};

struct TimelineQuery {
  std::string customer_id;
  std::vector<TimelineKind> kinds;  // empty: every kind
  // Agents see only their teams' cases: when set, cases of other teams are left out.
  std::optional<std::vector<std::string>> only_case_teams;
};

Result<Page<TimelineEntry>> CustomerTimeline(store::TenantTx& tx, const TimelineQuery& query, const PageRequest& page);

struct LastScore {
  int score = 0;
  Micros at = 0;
};
struct ProfileSummary {
  std::optional<LastScore> last_nps;
  std::optional<LastScore> last_csat;
  std::int64_t open_cases = 0;  // new, open or pending
};
Result<ProfileSummary> SummariseProfile(store::TenantTx& tx, std::string_view customer_id);

inline constexpr std::size_t kMaxNoteChars = 10'000;
struct Note {
  std::string id;  // "not_…"
  std::string customer_id;
  std::string author_id;
  std::string body;
  Micros created_at = 0;
};
// kInvalidArgument field "body" for an empty or over-long note. Records "customer.note".
Result<Note> AddNote(store::TenantTx& tx, const std::string& customer_id, const std::string& author_id,
                     std::string_view body, const identity::AuditContext& audit);

}  // namespace tp::timeline
