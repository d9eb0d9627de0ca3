// Bulk import and export of customer data (transfer/): POST /api/v1/imports/{kind}?map=… takes a CSV
// body (the server spools it to a temporary file, up to --upload-limit, and it is read as a stream) and
// answers the summary with up to 100 rejected rows; GET /api/v1/exports/{kind} answers up to `limit`
// rows as CSV or JSON lines with X-Next-Cursor for the next part.
//
// Both cover every customer of the tenant, so callers scoped to their teams' customers (agents) are
// refused; callers without contact_data:read get exports without e-mail, phone and messaging handles.
#include <fstream>
#include <sstream>
#include <streambuf>

#include "api/customer_access.h"
#include "api/routes.h"
#include "transfer/export.h"
#include "transfer/import.h"
#include "transfer/response_import.h"
#include "transfer/review_import.h"

namespace tp::api {
namespace {

using identity::Permission;

constexpr std::int64_t kDefaultExportRows = 10'000;
constexpr std::int64_t kMaxExportRows = 100'000;

// Reads a string the request already holds, without copying it.
class StringViewBuffer : public std::streambuf {
 public:
  explicit StringViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

// A CSV body as a stream: the file the server spooled a large upload to (http::SpooledBody), else the
// body in memory.
class UploadStream {
 public:
  explicit UploadStream(const http::Request& request) : buffer_(request.body) {
    if (!request.spooled_body) return;
    spooled_ = true;
    file_.open(request.spooled_body->path(), std::ios::binary);
    in_.rdbuf(file_.rdbuf());
  }
  bool failed() const { return spooled_ && !file_.is_open(); }
  std::istream& in() { return in_; }

 private:
  StringViewBuffer buffer_;
  std::ifstream file_;
  bool spooled_ = false;
  std::istream in_{&buffer_};
};

Status RefuseTeamScoped(const Call& call) {
  if (identity::ScopedToOwnTeams(call.principal)) {
    return PermissionDenied("imports and exports cover every customer; agents work with their teams' customers only");
  }
  return Status::Ok();
}

Status CheckCsvContentType(const std::optional<std::string>& content_type) {
  if (IsUtf8MediaType(content_type, "text/csv")) return Status::Ok();
  return Status(ErrorCode::kUnsupportedMedia, "the body must be text/csv (UTF-8)");
}

Json RejectsJson(const std::vector<transfer::Reject>& kept) {
  Json rejects = Json::array();
  for (const transfer::Reject& reject : kept) {
    rejects.push_back({{"line", reject.line}, {"field", reject.field}, {"reason", reject.reason}});
  }
  return rejects;
}

Result<http::Response> Import(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RefuseTeamScoped(call));
  const auto kind = transfer::ParseImportKind(call.request.PathParam("kind"));
  if (!kind.ok()) return NotFound("no such import kind: customers, events, orders, reviews or responses");
  TP_RETURN_IF_ERROR(CheckCsvContentType(call.request.Header("Content-Type")));
  // The server writes large uploads to a file (http::SpooledBody), which is read as a stream.
  UploadStream upload(call.request);
  if (upload.failed()) return Unavailable("the upload could not be read back; try again");
  transfer::ImportOptions options{.keep_rejects = 100, .now = call.now};
  // ?map=customer_id=user_id,ts=timestamp, as `touchpoint import --map` (repeatable).
  const auto [map_begin, map_end] = call.request.query.equal_range("map");
  for (auto map = map_begin; map != map_end; ++map) {
    TP_RETURN_IF_ERROR(transfer::ParseColumnMapping(map->second, options.mapping));
  }
  TP_ASSIGN_OR_RETURN(transfer::ImportSummary summary,
                      transfer::ImportCsv(registrar.store(), call.principal.tenant_id, *kind, upload.in(), options, call.audit));
  return JsonResponse(200, Json{{"kind", transfer::ImportKindName(*kind)},
                                {"rows_read", summary.rows_read},
                                {"loaded", summary.loaded},
                                {"duplicates", summary.duplicates},
                                {"rejected", summary.rejected},
                                {"profiles_created", summary.profiles_created},
                                {"merges", summary.merges},
                                {"rejects", RejectsJson(summary.rejects)},
                                {"rejects_truncated", summary.rejected > static_cast<std::int64_t>(summary.rejects.size())}});
}

// Public reviews: CSV (text/csv) or JSON lines (application/x-ndjson); ?touchpoint= for rows without one.
// Matching reads every customer's identifiers, so agents are refused as for the other imports.
Result<http::Response> ImportReviews(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RefuseTeamScoped(call));
  const std::optional<std::string> content_type = call.request.Header("Content-Type");
  transfer::ReviewImportOptions options{.keep_rejects = 100, .now = call.now};
  if (IsUtf8MediaType(content_type, "application/x-ndjson")) {
    options.format = transfer::ReviewFormat::kJsonLines;
  } else {
    TP_RETURN_IF_ERROR(CheckCsvContentType(content_type));
  }
  options.default_touchpoint = call.request.QueryParam("touchpoint").value_or("");
  UploadStream upload(call.request);
  if (upload.failed()) return Unavailable("the upload could not be read back; try again");
  TP_ASSIGN_OR_RETURN(transfer::ReviewImportSummary summary,
                      transfer::ImportReviews(registrar.store(), call.principal.tenant_id, upload.in(), options, call.audit));
  return JsonResponse(200, Json{{"kind", "reviews"},
                                {"rows_read", summary.rows_read},
                                {"loaded", summary.loaded},
                                {"duplicates", summary.duplicates},
                                {"rejected", summary.rejected},
                                {"matched", summary.matched},
                                {"rejects", RejectsJson(summary.rejects)},
                                {"rejects_truncated", summary.rejected > static_cast<std::int64_t>(summary.rejects.size())}});
}

// Historic survey responses (CSV): ?survey=, ?metric=, ?nps_scale=, ?header_rows=, ?ignore_unknown= and
// ?map= as `touchpoint import responses` takes them. It may create customer profiles, so it needs
// customers:write and refuses agents as the customers import does.
Result<http::Response> ImportResponses(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RefuseTeamScoped(call));
  TP_RETURN_IF_ERROR(CheckCsvContentType(call.request.Header("Content-Type")));
  transfer::ResponseImportOptions options{.survey_id = call.request.QueryParam("survey").value_or(""),
                                          .keep_rejects = 100,
                                          .now = call.now};
  if (const auto metric = call.request.QueryParam("metric")) {
    TP_ASSIGN_OR_RETURN(options.metric, feedback::ParseMetric(*metric));
  }
  if (const auto scale = call.request.QueryParam("nps_scale")) {
    TP_ASSIGN_OR_RETURN(options.nps_scale, transfer::ParseNpsScale(*scale));
  }
  TP_ASSIGN_OR_RETURN(const auto header_rows, IntFromQuery(call.request, "header_rows", 1, 10));
  if (header_rows) options.header_rows = static_cast<int>(*header_rows);
  if (const auto ignore = call.request.QueryParam("ignore_unknown")) {
    if (*ignore != "true" && *ignore != "false") return InvalidArgument("ignore_unknown must be true or false", "ignore_unknown");
    options.ignore_unknown = *ignore == "true";
  }
  const auto [map_begin, map_end] = call.request.query.equal_range("map");
  for (auto map = map_begin; map != map_end; ++map) {
    TP_RETURN_IF_ERROR(transfer::ParseColumnMapping(map->second, options.mapping));
  }
  UploadStream upload(call.request);
  if (upload.failed()) return Unavailable("the upload could not be read back; try again");
  TP_ASSIGN_OR_RETURN(transfer::ResponseImportSummary summary,
                      transfer::ImportResponses(registrar.store(), call.principal.tenant_id, upload.in(), options, call.audit));
  return JsonResponse(200, Json{{"kind", "responses"},
                                {"rows_read", summary.rows_read},
                                {"loaded", summary.loaded},
                                {"duplicates", summary.duplicates},
                                {"rejected", summary.rejected},
                                {"profiles_created", summary.profiles_created},
                                {"anonymous", summary.anonymous},
                                {"rejects", RejectsJson(summary.rejects)},
                                {"rejects_truncated", summary.rejected > static_cast<std::int64_t>(summary.rejects.size())}});
}

Result<http::Response> Export(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RefuseTeamScoped(call));
  const auto kind = transfer::ParseExportKind(call.request.PathParam("kind"));
  if (!kind.ok()) return NotFound("no such export kind: customers or events");
  transfer::ExportOptions options;
  const std::string format_name = call.request.QueryParam("format").value_or("csv");
  TP_ASSIGN_OR_RETURN(options.format, transfer::ParseExportFormat(format_name));
  options.max_rows = kDefaultExportRows;
  TP_ASSIGN_OR_RETURN(const auto limit, IntFromQuery(call.request, "limit", 1, kMaxExportRows));
  if (limit) options.max_rows = *limit;
  if (const auto cursor = call.request.QueryParam("cursor")) {
    TP_ASSIGN_OR_RETURN(PageRequest page, PageRequest::Parse(*cursor, std::nullopt));
    options.after_id = page.after_id;
  }
  options.with_contact_data = SeesContactData(call);
  const std::string kind_name(transfer::ExportKindName(*kind));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    return identity::RecordAudit(tx, call.audit, kind_name + ".export", "export", kind_name);
  }));
  std::ostringstream out;
  TP_ASSIGN_OR_RETURN(transfer::ExportSummary summary,
                      transfer::ExportData(registrar.store(), call.principal.tenant_id, *kind, options, out));
  const bool csv = options.format == transfer::ExportFormat::kCsv;
  http::Response response = http::Response::Text(200, std::move(out).str(),
                                                 csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
  response.headers["Content-Disposition"] =
      "attachment; filename=\"" + kind_name + (csv ? ".csv" : ".jsonl") + "\"";
  if (summary.more) response.headers["X-Next-Cursor"] = EncodeCursor(summary.last_id);
  return response;
}

}  // namespace

void RegisterTransferRoutes(Registrar& registrar) {
  registrar.Protected("POST", "/api/v1/imports/{kind}", Permission::kCustomersWrite, Import);
  registrar.Protected("POST", "/api/v1/imports/reviews", Permission::kFeedbackWrite, ImportReviews);
  registrar.Protected("POST", "/api/v1/imports/responses", Permission::kCustomersWrite, ImportResponses);
  registrar.Protected("GET", "/api/v1/exports/{kind}", Permission::kCustomersRead, Export);
}

}  // namespace tp::api
