// Importing historic survey responses as `touchpoint import responses FILE --survey ID` does:
// transfer::ImportResponses over a CSV file of --rows responses, in chunks of --batch rows (the command's
// default), one store write each, on the store --db names (SQLite or PostgreSQL).
//
//   response_import --db URL --file responses.csv [--tenant bench] [--rows 1000000] [--customers 200000] [--batch 1000]
//
// First it creates a live survey in the tenant (an NPS question with its reason and a matrix of three
// attribute ratings, as issue 11 describes), then writes the file (deterministic, outside the timing)
// unless it exists with the same rows: response_id, email, nps, rating.ease, rating.speed, rating.staff,
// comment, submitted_at, channel; in time order, one in five rows anonymous (no e-mail), the others spread over
// --customers people (so most rows find their customer made by an earlier row), a comment on every
// third row, about 110 bytes a row. Each row becomes a survey response, 4-5 answers and a feedback
// record, plus two change-feed records. Then the import is timed as a whole and per tenth of the file,
// from the progress ImportResponses reports after every chunk. The tenant must exist (`touchpoint
// tenant add`) and be empty. Prints one machine-readable line:
//   import-result rows=N seconds=S loaded=N rejected=N profiles=N first_tenth_rps=R last_tenth_rps=R slowest_tenth_rps=R
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "identity/audit.h"
#include "store/store.h"
#include "surveys/surveys.h"
#include "tenant_lookup.h"
#include "transfer/response_import.h"

namespace {

struct Args {
  std::string db, file, tenant = "bench";
  std::size_t rows = 1'000'000;
  std::size_t customers = 0;  // 0: rows / 5
  int batch = tp::transfer::kDefaultBatchSize;
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  CLI::App app{"Imports survey responses through transfer::ImportResponses and reports rows/s"};
  app.add_option("--db", args.db, "sqlite:PATH or postgresql://...")->required();
  app.add_option("--file", args.file, "the CSV file (written when it lacks the wanted rows)")->required();
  app.add_option("--tenant", args.tenant, "tenant slug");
  app.add_option("--rows", args.rows, "rows in the file")->check(CLI::PositiveNumber);
  app.add_option("--customers", args.customers, "distinct respondents with an e-mail (default rows / 5)");
  app.add_option("--batch", args.batch, "rows per transaction")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error) == 0 ? 0 : 2);
  }
  if (args.customers == 0) args.customers = std::max<std::size_t>(1, args.rows / 5);
  return args;
}

constexpr const char* kHeader = "response_id,email,nps,rating.ease,rating.speed,rating.staff,comment,submitted_at,channel\n";

std::size_t RowsIn(const std::string& path) {
  std::ifstream in(path);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines == 0 ? 0 : lines - 1;
}

bool WriteFile(const Args& args) {
  static constexpr const char* kComments[] = {"Kurýr přijel pozdě", "Great service, thanks", "Zbyt długo czekałem",
                                              "Easy returns", "Nobody answered the phone"};
  static constexpr const char* kChannels[] = {"email", "web", "sms", "mobile"};
  std::FILE* out = std::fopen(args.file.c_str(), "w");
  if (out == nullptr) return false;
  std::fputs(kHeader, out);
  for (std::size_t row = 0; row < args.rows; ++row) {
    // A cheap deterministic mix (Knuth's multiplicative hash) so scores and people do not run in order.
    const std::uint64_t mix = (row + 1) * 2654435761ULL;
    const bool anonymous = row % 5 == 4;
    std::string email = anonymous ? "" : "respondent." + std::to_string(mix % args.customers) + "@example.com";
    // In time order, as survey tools export (a minute or so apart from 2018 on).
    const std::time_t answered = 1'514'764'800 + static_cast<std::time_t>(row * 67);
    std::tm parts{};
    gmtime_r(&answered, &parts);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &parts);
    std::fprintf(out, "R_%010zu,%s,%llu,%llu,%llu,%llu,\"%s\",%s,%s\n", row, email.c_str(),
                 static_cast<unsigned long long>(mix % 11), static_cast<unsigned long long>(1 + mix % 5),
                 static_cast<unsigned long long>(1 + (mix >> 8) % 5), static_cast<unsigned long long>(1 + (mix >> 16) % 5),
                 row % 3 == 0 ? kComments[row % 5] : "", when, kChannels[row % 4]);
  }
  return std::fclose(out) == 0;
}

tp::Result<std::string> CreateSurvey(tp::store::Store& store, const std::string& tenant_id) {
  const nlohmann::json definition = nlohmann::json::parse(R"({"pages": [{"elements": [
    {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10},
    {"type": "comment", "name": "reason"},
    {"type": "matrix", "name": "attributes", "columns": [1, 2, 3, 4, 5], "rows": ["ease", "speed", "staff"]}]}]})");
  std::string id;
  TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](tp::store::TenantTx& tx) -> tp::Status {
    TP_ASSIGN_OR_RETURN(tp::surveys::Survey survey,
                        tp::surveys::CreateSurvey(
                            tx,
                            {.name = "Imported NPS", .touchpoint = "delivery", .stage = "fulfilment",
                             .definition = definition,
                             .metrics = nlohmann::json{{"nps", {{"question", "recommend"}, {"comment", "reason"}}}},
                             .status = tp::surveys::SurveyStatus::kLive},
                            tp::identity::AuditContext::System("bench")));
    id = survey.id;
    return tp::Status::Ok();
  }));
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  tp::InitCrypto();
  if (RowsIn(args.file) != args.rows && !WriteFile(args)) {
    std::fprintf(stderr, "response_import: cannot write %s\n", args.file.c_str());
    return 1;
  }
  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "response_import: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  const std::unique_ptr<tp::store::Store> store = std::move(opened).value();
  const tp::Result<std::string> tenant = tp::bench::TenantIdBySlug(*store, args.tenant);
  if (!tenant.ok()) {
    std::fprintf(stderr, "response_import: %s\n", tenant.status().ToString().c_str());
    return 1;
  }
  const tp::Result<std::string> survey = CreateSurvey(*store, *tenant);
  if (!survey.ok()) {
    std::fprintf(stderr, "response_import: %s\n", survey.status().ToString().c_str());
    return 1;
  }

  std::vector<std::pair<std::int64_t, double>> progress;  // (rows read, seconds) after each chunk
  std::ifstream in(args.file, std::ios::binary);
  tp::transfer::ResponseImportOptions options{.survey_id = *survey, .batch_size = args.batch};
  options.on_progress = [&progress](const tp::transfer::ImportProgress& now) {
    progress.emplace_back(now.rows_read, now.seconds);
  };
  const auto summary =
      tp::transfer::ImportResponses(*store, *tenant, in, options, tp::identity::AuditContext::System("bench"));
  store->Close();
  if (!summary.ok()) {
    std::fprintf(stderr, "response_import: %s\n", summary.status().ToString().c_str());
    return 1;
  }

  std::vector<double> tenths;
  std::int64_t rows_before = 0;
  double seconds_before = 0;
  for (int tenth = 1; tenth <= 10; ++tenth) {
    const auto end_rows = static_cast<std::int64_t>(summary->rows_read * tenth / 10);
    const auto report = std::find_if(progress.begin(), progress.end(), [&](const auto& p) { return p.first >= end_rows; });
    if (report == progress.end() || report->first <= rows_before || report->second <= seconds_before) continue;
    tenths.push_back(static_cast<double>(report->first - rows_before) / (report->second - seconds_before));
    rows_before = report->first;
    seconds_before = report->second;
  }
  const double slowest = tenths.empty() ? 0 : *std::min_element(tenths.begin(), tenths.end());
  std::printf("response import: %lld rows in %.2f s (%.0f rows/s), %lld loaded, %lld rejected, %lld profiles "
              "created, chunks of %d\n",
              static_cast<long long>(summary->rows_read), summary->seconds,
              static_cast<double>(summary->rows_read) / summary->seconds, static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->rejected), static_cast<long long>(summary->profiles_created), args.batch);
  std::printf("  rows/s per tenth of the file:");
  for (double rate : tenths) std::printf(" %.0f", rate);
  std::printf("\n");
  std::printf("import-result rows=%lld seconds=%.3f loaded=%lld rejected=%lld profiles=%lld first_tenth_rps=%.0f "
              "last_tenth_rps=%.0f slowest_tenth_rps=%.0f\n",
              static_cast<long long>(summary->rows_read), summary->seconds, static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->rejected), static_cast<long long>(summary->profiles_created),
              tenths.empty() ? 0 : tenths.front(), tenths.empty() ? 0 : tenths.back(), slowest);
  return summary->rejected == 0 && summary->loaded == summary->rows_read ? 0 : 1;
}
