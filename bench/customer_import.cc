// Importing new customers as `touchpoint import customers FILE` does: transfer::ImportCsv over a CSV
// file of --rows new customers, in chunks of --batch rows (the command's default), one store write
// each, on the store --db names (SQLite or PostgreSQL).
//
//   customer_import --db URL --file customers.csv [--tenant bench] [--rows 1000000] [--batch 1000]
//
// The file is written first (deterministic, outside the timing) unless it exists with the same rows:
// a header of user_id, email, phone, first_name, last_name, city, plan, created_at and one new person
// per row (three identifiers, a name, two text traits, a signup time), about 120 bytes a row. Then the
// import is timed as a whole and per tenth of the file, from the progress ImportCsv reports after every
// chunk, so that a rate falling while the tables grow shows. The tenant must exist (`touchpoint tenant
// add`) and be empty. Prints one machine-readable line:
//   import-result rows=N seconds=S loaded=N rejected=N first_tenth_rps=R last_tenth_rps=R slowest_tenth_rps=R
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "identity/audit.h"
#include "store/store.h"
#include "tenant_lookup.h"
#include "transfer/import.h"

namespace {

struct Args {
  std::string db, file, tenant = "bench";
  std::size_t rows = 1'000'000;
  int batch = tp::transfer::kDefaultBatchSize;
};

// CLI11, as the product's own command line uses; a bad flag exits 2 with a message.
Args ParseArgs(int argc, char** argv) {
  Args args;
  CLI::App app{"Imports new customers through transfer::ImportCsv and reports rows/s"};
  app.add_option("--db", args.db, "sqlite:PATH or postgresql://...")->required();
  app.add_option("--file", args.file, "the CSV file (written when it lacks the wanted rows)")->required();
  app.add_option("--tenant", args.tenant, "tenant slug");
  app.add_option("--rows", args.rows, "rows in the file")->check(CLI::PositiveNumber);
  app.add_option("--batch", args.batch, "rows per transaction")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error) == 0 ? 0 : 2);
  }
  return args;
}

constexpr const char* kHeader = "user_id,email,phone,first_name,last_name,city,plan,created_at\n";

std::size_t RowsIn(const std::string& path) {
  std::ifstream in(path);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines == 0 ? 0 : lines - 1;
}

bool WriteFile(const Args& args) {
  static constexpr const char* kFirst[] = {"Jana", "Petr", "Eva", "Tomáš", "Marta", "Jakub", "Zuzana", "Piotr"};
  static constexpr const char* kLast[] = {"Nováková", "Svoboda", "Dvořák", "Kowalska", "Horváth", "Novak"};
  static constexpr const char* kCities[] = {"Praha", "Brno", "Ostrava", "Kraków", "Bratislava", "Ljubljana"};
  static constexpr const char* kPlans[] = {"free", "silver", "gold"};
  std::FILE* out = std::fopen(args.file.c_str(), "w");
  if (out == nullptr) return false;
  std::fputs(kHeader, out);
  for (std::size_t row = 0; row < args.rows; ++row) {
    std::fprintf(out, "cust-%08zu,customer.%zu@example.com,+4206%08zu,%s,%s,%s,%s,20%02zu-%02zu-%02zuT%02zu:%02zu:00Z\n",
                 row, row, row, kFirst[row % 8], kLast[row % 6], kCities[(row / 7) % 6], kPlans[row % 3],
                 15 + row % 10, 1 + row % 12, 1 + row % 28, row % 24, row % 60);
  }
  return std::fclose(out) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  tp::InitCrypto();
  if (RowsIn(args.file) != args.rows && !WriteFile(args)) {
    std::fprintf(stderr, "customer_import: cannot write %s\n", args.file.c_str());
    return 1;
  }
  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "customer_import: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  const std::unique_ptr<tp::store::Store> store = std::move(opened).value();
  const tp::Result<std::string> tenant = tp::bench::TenantIdBySlug(*store, args.tenant);
  if (!tenant.ok()) {
    std::fprintf(stderr, "customer_import: %s\n", tenant.status().ToString().c_str());
    return 1;
  }

  // (rows read, seconds) after each chunk.
  std::vector<std::pair<std::int64_t, double>> progress;
  std::ifstream in(args.file, std::ios::binary);
  tp::transfer::ImportOptions options;
  options.batch_size = args.batch;
  options.on_progress = [&progress](const tp::transfer::ImportProgress& now) {
    progress.emplace_back(now.rows_read, now.seconds);
  };
  const auto summary = tp::transfer::ImportCsv(*store, *tenant, tp::transfer::ImportKind::kCustomers, in, options,
                                               tp::identity::AuditContext::System("bench"));
  store->Close();
  if (!summary.ok()) {
    std::fprintf(stderr, "customer_import: %s\n", summary.status().ToString().c_str());
    return 1;
  }

  // The rate of each tenth of the rows, from the first progress report at or past its end.
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
  std::printf("customer import: %lld rows in %.2f s (%.0f rows/s), %lld loaded, %lld rejected, chunks of %d\n",
              static_cast<long long>(summary->rows_read), summary->seconds,
              static_cast<double>(summary->rows_read) / summary->seconds, static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->rejected), args.batch);
  std::printf("  rows/s per tenth of the file:");
  for (double rate : tenths) std::printf(" %.0f", rate);
  std::printf("\n");
  std::printf("import-result rows=%lld seconds=%.3f loaded=%lld rejected=%lld first_tenth_rps=%.0f last_tenth_rps=%.0f "
              "slowest_tenth_rps=%.0f\n",
              static_cast<long long>(summary->rows_read), summary->seconds, static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->rejected), tenths.empty() ? 0 : tenths.front(),
              tenths.empty() ? 0 : tenths.back(), slowest);
  return summary->rejected == 0 && summary->loaded == summary->rows_read ? 0 : 1;
}
