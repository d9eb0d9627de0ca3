#include "timeline/timeline.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "common/ids.h"
#include "events/events.h"
#include "store/sql_params.h"
#include "profiles/text.h"

namespace tp::timeline {
namespace {

using nlohmann::json;
using store::Sql;
using store::SqlParams;

constexpr std::array<std::string_view, 5> kKindNames = {"event", "case", "feedback", "note", "survey_response"};

// Per kind: the statement head selecting (id, time, kind-specific columns…) of one customer.
struct KindSource {
  TimelineKind kind;
  std::string_view select;   // ends before the cursor condition
  std::string_view time_column;
};

constexpr std::array kSources = {
    KindSource{TimelineKind::kEvent,
               "SELECT id, occurred_at, type, name, channel, properties, amount, currency, reporting_amount, "
               "reporting_currency, exchange_rate FROM events "
               "WHERE tenant_id = $1 AND customer_id = ",
               "occurred_at"},
    KindSource{TimelineKind::kCase,
               "SELECT id, created_at, subject, status, priority, channel, team_id FROM cases "
               "WHERE tenant_id = $1 AND customer_id = ",
               "created_at"},
    KindSource{TimelineKind::kFeedback,
               "SELECT id, created_at, metric, score, survey, comment, touchpoint FROM feedback_responses "
               "WHERE tenant_id = $1 AND survey_response_id IS NULL AND customer_id = ",
               "created_at"},
    KindSource{TimelineKind::kNote,
               "SELECT id, created_at, author_id, body FROM customer_notes WHERE tenant_id = $1 AND customer_id = ",
               "created_at"},
    KindSource{TimelineKind::kSurveyResponse,
               "SELECT id, submitted_at, survey_id, version, touchpoint, channel, data FROM survey_responses "
               "WHERE tenant_id = $1 AND status = 'complete' AND customer_id = ",
               "submitted_at"},
};

constexpr std::string_view kInsertNote =
    "INSERT INTO customer_notes (tenant_id, id, customer_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
// A survey's scores belong to its survey_response entry, so a response is one entry, not one per score.
constexpr std::string_view kScoresOfSurveyResponses =
    "SELECT survey_response_id, metric, score, comment FROM feedback_responses "
    "WHERE tenant_id = $1 AND survey_response_id IN (";
constexpr std::string_view kLastScore =
    "SELECT score, created_at FROM feedback_responses WHERE tenant_id = $1 AND customer_id = $2 AND metric = $3 "
    "ORDER BY created_at DESC, id DESC LIMIT 1";
constexpr std::string_view kOpenCases =
    "SELECT COUNT(*) FROM cases WHERE tenant_id = $1 AND customer_id = $2 AND status IN ('new', 'open', 'pending')";

json StoredJson(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(text) : value;
}

std::string FirstLine(std::string_view text, std::size_t max_bytes) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.size() <= max_bytes) return std::string(line);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return std::string(line.substr(0, cut)) + "…";
}

std::string ScoreTitle(std::string metric, std::int64_t score) {  // "NPS 9"
  std::transform(metric.begin(), metric.end(), metric.begin(), [](unsigned char c) { return std::toupper(c); });
  return metric + " " + std::to_string(score);
}

TimelineEntry EntryFromRow(TimelineKind kind, const store::Row& row) {
  TimelineEntry entry{.kind = kind, .id = row.Text(0), .at = row.Int(1)};
  switch (kind) {
    case TimelineKind::kEvent:
      entry.title = row.Text(3).empty() ? row.Text(2) : row.Text(3);
      entry.detail = {{"type", row.Text(2)}, {"name", row.Text(3)}, {"channel", row.Text(4)},
                      {"properties", StoredJson(row.Text(5))}};
      if (!row.IsNull(6)) {
        entry.detail["amount"] =
            events::AmountJson(events::MoneyAt(row, 6), events::MoneyAt(row, 8), row.IsNull(10) ? "" : row.Text(10));
      }
      break;
    case TimelineKind::kCase:
      entry.title = row.Text(2);
      entry.detail = {{"subject", row.Text(2)}, {"status", row.Text(3)}, {"priority", row.Text(4)},
                      {"channel", row.Text(5)}, {"team_id", row.IsNull(6) ? json(nullptr) : json(row.Text(6))}};
      break;
    case TimelineKind::kFeedback: {
      entry.title = ScoreTitle(row.Text(2), row.Int(3));
      entry.detail = {{"metric", row.Text(2)}, {"score", row.Int(3)}, {"survey", row.Text(4)},
                      {"comment", row.Text(5)}, {"touchpoint", row.Text(6)}};
      break;
    }
    case TimelineKind::kNote:
      entry.title = FirstLine(row.Text(3), 120);
      entry.detail = {{"author_id", row.Text(2)}, {"body", row.Text(3)}};
      break;
    case TimelineKind::kSurveyResponse:
      entry.title = "Survey response" + (row.Text(4).empty() ? std::string() : ": " + row.Text(4));
      entry.detail = {{"survey_id", row.Text(2)}, {"version", row.Int(3)}, {"touchpoint", row.Text(4)},
                      {"channel", row.Text(5)}, {"answers", StoredJson(row.Text(6))}, {"scores", json::array()}};
      break;
  }
  return entry;
}

// Adds each survey response's scores (metric, score, comment) to its entry and its title.
Status AttachSurveyScores(store::TenantTx& tx, std::vector<TimelineEntry>& entries) {
  std::map<std::string, TimelineEntry*> responses;
  for (TimelineEntry& entry : entries) {
    if (entry.kind == TimelineKind::kSurveyResponse) responses.emplace(entry.id, &entry);
  }
  if (responses.empty()) return Status::Ok();
  std::vector<std::string> ids;
  for (const auto& [id, entry] : responses) ids.push_back(id);
  SqlParams params;
  const std::string sql = Sql({kScoresOfSurveyResponses, params.BindList(ids), ") ORDER BY survey_response_id, metric"});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  for (const store::Row& row : rows) {
    TimelineEntry& entry = *responses.at(row.Text(0));
    entry.detail["scores"].push_back({{"metric", row.Text(1)}, {"score", row.Int(2)}, {"comment", row.Text(3)}});
    entry.title += (entry.detail["scores"].size() == 1 ? " — " : ", ") + ScoreTitle(row.Text(1), row.Int(2));
  }
  return Status::Ok();
}

std::string CursorOf(const TimelineEntry& entry) { return std::to_string(entry.at) + ":" + entry.id; }

Result<std::optional<std::pair<Micros, std::string>>> ParseCursor(const std::string& cursor) {
  if (cursor.empty()) return std::optional<std::pair<Micros, std::string>>();
  const std::size_t colon = cursor.find(':');
  Micros at = 0;
  if (colon == std::string::npos ||
      std::from_chars(cursor.data(), cursor.data() + colon, at).ptr != cursor.data() + colon) {
    return InvalidArgument("cursor is not one this list handed out", "cursor");
  }
  return std::optional(std::pair{at, cursor.substr(colon + 1)});
}

bool Newer(const TimelineEntry& a, const TimelineEntry& b) { return a.at != b.at ? a.at > b.at : a.id > b.id; }

}  // namespace

std::string_view TimelineKindName(TimelineKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

Result<TimelineKind> ParseTimelineKind(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<TimelineKind>(i);
  }
  return InvalidArgument("kind must be one of event, case, feedback, note, survey_response", "kind");
}

Result<Page<TimelineEntry>> CustomerTimeline(store::TenantTx& tx, const TimelineQuery& query, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(const auto cursor, ParseCursor(page.after_id));
  std::vector<TimelineEntry> entries;
  for (const KindSource& source : kSources) {
    if (!query.kinds.empty() && std::find(query.kinds.begin(), query.kinds.end(), source.kind) == query.kinds.end()) {
      continue;
    }
    if (source.kind == TimelineKind::kCase && query.only_case_teams && query.only_case_teams->empty()) continue;
    SqlParams params;
    std::string sql = Sql({source.select, params.Bind(query.customer_id)});
    if (source.kind == TimelineKind::kCase && query.only_case_teams) {
      sql += Sql({" AND team_id IN (", params.BindList(*query.only_case_teams), ")"});
    }
    if (cursor) {
      const std::string at = params.Bind(cursor->first);
      sql += Sql({" AND (", source.time_column, " < ", at, " OR (", source.time_column, " = ", at, " AND id < ",
                  params.Bind(cursor->second), "))"});
    }
    sql += Sql({" ORDER BY ", source.time_column, " DESC, id DESC LIMIT ", params.Bind(std::int64_t{page.limit} + 1)});
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
    for (const store::Row& row : rows) entries.push_back(EntryFromRow(source.kind, row));
  }
  std::sort(entries.begin(), entries.end(), Newer);
  if (entries.size() > static_cast<std::size_t>(page.limit) + 1) entries.resize(static_cast<std::size_t>(page.limit) + 1);
  TP_RETURN_IF_ERROR(AttachSurveyScores(tx, entries));
  return MakePage(std::move(entries), page.limit, CursorOf);
}

Result<ProfileSummary> SummariseProfile(store::TenantTx& tx, std::string_view customer_id) {
  ProfileSummary summary;
  for (const auto& [metric, target] : {std::pair{"nps", &summary.last_nps}, std::pair{"csat", &summary.last_csat}}) {
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kLastScore, {std::string(customer_id), metric}));
    if (row) *target = LastScore{static_cast<int>(row->Int(0)), row->Int(1)};
  }
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> open, tx.QueryOne(kOpenCases, {std::string(customer_id)}));
  summary.open_cases = open ? open->Int(0) : 0;
  return summary;
}

Result<Note> AddNote(store::TenantTx& tx, const std::string& customer_id, const std::string& author_id,
                     std::string_view body, const identity::AuditContext& audit) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return InvalidArgument("body is required", "body");
  TP_RETURN_IF_ERROR(profiles::CheckFreeText(body, "body", kMaxNoteChars));
  Note note{.id = NewId("not_"),
            .customer_id = customer_id,
            .author_id = author_id,
            .body = std::string(body),
            .created_at = NowMicros()};
  TP_RETURN_IF_ERROR(
      tx.Execute(kInsertNote, {note.id, note.customer_id, note.author_id, note.body, note.created_at}).status());
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "customer.note", "customer", customer_id, {},
                                           json{{"note_id", note.id}}.dump()));
  return note;
}

}  // namespace tp::timeline
