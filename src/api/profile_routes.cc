// A customer's history and the profile operations around identity: the timeline, notes, merges and
// their undo, and the GDPR access export and erasure.
#include <set>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "ingest/ingest.h"
#include "ingest/merges.h"
#include "privacy/privacy.h"
#include "timeline/timeline.h"

namespace tp::api {
namespace {

using identity::Permission;

// The live profile behind a path id (merged ids redirect), checked against the caller's teams.
Result<std::string> VisibleLiveCustomer(store::TenantTx& tx, const Call& call, const std::string& requested_id) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, ingest::LiveCustomerId(tx, requested_id));
  TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, customer_id));
  return customer_id;
}

Result<std::vector<timeline::TimelineKind>> KindsFromQuery(const http::Request& request) {
  std::vector<timeline::TimelineKind> kinds;
  const std::optional<std::string> text = request.QueryParam("kind");
  if (!text) return kinds;
  std::size_t begin = 0;
  while (begin <= text->size()) {
    std::size_t end = text->find(',', begin);
    if (end == std::string::npos) end = text->size();
    TP_ASSIGN_OR_RETURN(timeline::TimelineKind kind, timeline::ParseTimelineKind(text->substr(begin, end - begin)));
    kinds.push_back(kind);
    begin = end + 1;
  }
  return kinds;
}

Result<http::Response> CustomerTimeline(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string requested_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  TP_ASSIGN_OR_RETURN(auto kinds, KindsFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(std::string customer_id, VisibleLiveCustomer(tx, call, requested_id));
    const timeline::TimelineQuery query{.customer_id = customer_id, .kinds = kinds, .only_case_teams = TeamScope(call)};
    TP_ASSIGN_OR_RETURN(auto page, timeline::CustomerTimeline(tx, query, page_request));
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return PageJson(page, [&](const timeline::TimelineEntry& entry) { return view.TimelineEntry(entry); });
  });
}

Result<http::Response> AddNote(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string requested_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(std::string body, fields.RequiredString("body", timeline::kMaxNoteChars * 4));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(std::string customer_id, VisibleLiveCustomer(tx, call, requested_id));
    TP_ASSIGN_OR_RETURN(auto note, timeline::AddNote(tx, customer_id, call.principal.actor_id(), body, call.audit));
    return Json{{"id", note.id},
                {"customer_id", note.customer_id},
                {"author_id", note.author_id},
                {"body", note.body},
                {"created_at", TimestampJson(note.created_at)}};
  });
}

Result<http::Response> ListMerges(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string requested_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_RETURN_IF_ERROR(VisibleLiveCustomer(tx, call, requested_id).status());
    TP_ASSIGN_OR_RETURN(auto page, ingest::ListMerges(tx, requested_id, page_request));
    return PageJson(page, MergeJson);
  });
}

// POST /customers/{id}/merge {"customer_id": other}: `other` is merged into {id}.
Result<http::Response> MergeCustomers(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string survivor_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(std::string merged_id, fields.RequiredString("customer_id", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(std::string survivor, VisibleLiveCustomer(tx, call, survivor_id));
    Result<std::string> merged = VisibleLiveCustomer(tx, call, merged_id);
    if (!merged.ok()) {
      return merged.status().code() == ErrorCode::kNotFound ? Status(NotFound("no such customer to merge"))
                                                              : merged.status();
    }
    TP_ASSIGN_OR_RETURN(auto merge, ingest::MergeCustomers(tx, survivor, *merged, "manual", call.audit));
    return MergeJson(merge);
  });
}

Result<http::Response> UndoMerge(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string merge_id, PathId(call.request, "id", "mrg_"));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto merge, ingest::UndoMerge(tx, merge_id, call.audit));
    return MergeJson(merge);
  });
}

Result<http::Response> ExportCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, PathId(call.request, "id", "cus_"));
  // A write: the export itself is recorded in the audit log.
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    return privacy::ExportCustomerData(tx, customer_id, call.audit);
  });
}

Result<http::Response> EraseCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, PathId(call.request, "id", "cus_"));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto report, privacy::EraseCustomer(tx, customer_id, call.audit));
    return Json{{"customer_id", report.customer_id},
                {"erased",
                 {{"profiles", report.profiles},
                  {"events", report.events},
                  {"cases", report.cases},
                  {"feedback_responses_unlinked", report.feedback_responses},
                  {"notes", report.notes},
                  {"identifiers", report.identifiers},
                  {"audit_entries_redacted", report.audit_entries_redacted}}}};
  });
}

}  // namespace

void RegisterProfileRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/customers/{id}/timeline", Permission::kCustomersRead, CustomerTimeline);
  registrar.Protected("POST", "/api/v1/customers/{id}/notes", Permission::kCustomersWrite, AddNote);
  registrar.Protected("GET", "/api/v1/customers/{id}/merges", Permission::kCustomersRead, ListMerges);
  registrar.Protected("POST", "/api/v1/customers/{id}/merge", Permission::kCustomersMerge, MergeCustomers);
  registrar.Protected("POST", "/api/v1/merges/{id}/undo", Permission::kCustomersUnmerge, UndoMerge);
  registrar.Protected("GET", "/api/v1/customers/{id}/export", Permission::kPrivacyRequests, ExportCustomer);
  registrar.Protected("POST", "/api/v1/customers/{id}/erase", Permission::kPrivacyRequests, EraseCustomer);
}

}  // namespace tp::api
