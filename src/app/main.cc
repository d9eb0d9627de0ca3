// touchpoint: one binary for the server and its administration commands. Every subcommand has --help.
//
// Configuration precedence for `serve`: command-line flags win over the configuration file
// (--config FILE, TOML: a [serve] section of key = value lines), which wins over TOUCHPOINT_*
// environment variables, which win over built-in defaults.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>

#include "api/api.h"
#include "app/platform.h"
#include "common/crypto.h"
#include "demo/demo.h"
#include "http/server.h"
#include "identity/api_keys.h"
#include "identity/audit.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "store/store.h"
#include "transfer/export.h"
#include "transfer/import.h"
#include "transfer/response_import.h"
#include "transfer/review_import.h"
#include "transfer/progress.h"

namespace tp::app {
namespace {

constexpr std::string_view kVersion = "0.1.0";
constexpr std::string_view kDefaultDb = "sqlite:./var/touchpoint.db";

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string db{kDefaultDb};
  std::size_t body_limit = 1 << 20;
  std::uint64_t upload_limit = std::uint64_t{4} << 30;
  int io_threads = 2;
  int worker_threads = 8;
  double rate_limit = 50;
  double rate_burst = 500;
  bool secure_cookies = false;
  bool no_migrate = false;
  bool no_access_log = false;
  int header_timeout_ms = 10'000;
  int max_queued_requests = 256;
  int max_connections_per_address = 256;
  int max_connections = 0;  // 0: the descriptor limit less a reserve
  std::string log_level = "info";
  double respondent_rate_limit = 2;
  double respondent_rate_burst = 60;
  std::string web_root{TP_DEFAULT_WEB_ROOT};
  std::string public_url;  // empty: http://LISTEN
  PlatformFlags platform;
};

int Fail(const Status& status) {
  std::cerr << "touchpoint: " << status.ToString() << "\n";
  return status.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

Result<std::unique_ptr<store::Store>> OpenMigrated(const std::string& url) {
  TP_ASSIGN_OR_RETURN(auto opened, store::OpenStore(url));
  TP_RETURN_IF_ERROR(opened->Migrate());
  return opened;
}

Result<std::pair<std::string, std::uint16_t>> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen must be HOST:PORT", "listen");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (host.empty() || port < 0 || port > 65535) return InvalidArgument("--listen must be HOST:PORT", "listen");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

Result<identity::Tenant> FindTenant(store::Store& store, const std::string& slug) {
  identity::Tenant tenant;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(tenant, identity::FindTenantBySlug(tx, slug));
    return Status::Ok();
  }));
  return tenant;
}

// Blocks SIGINT and SIGTERM (and SIGUSR1, used internally) in every thread — construct it before
// starting any — then waits for one on a dedicated thread and asks the server to stop gracefully.
class ShutdownOnSignal {
 public:
  ShutdownOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  void Watch(http::Server& server) {
    waiter_ = std::thread([this, &server] {
      int signal_number = 0;
      sigwait(&signals_, &signal_number);
      waiting_ = false;
      if (signal_number == SIGUSR1) return;  // woken by the destructor: nothing to stop
      spdlog::info("received signal {}, shutting down: finishing in-flight requests", signal_number);
      server.Stop();
    });
  }
  ~ShutdownOnSignal() {
    if (!waiter_.joinable()) return;
    if (waiting_) pthread_kill(waiter_.native_handle(), SIGUSR1);
    waiter_.join();
  }

 private:
  sigset_t signals_{};
  std::atomic<bool> waiting_{true};
  std::thread waiter_;
};

void PrintDemoSummary(const demo::DemoSummary& summary) {
  std::printf("created demo tenant '%s' with %d customers, %d events, %d cases and %d survey responses\n",
              summary.tenant_slug.c_str(), summary.customers, summary.events, summary.cases, summary.feedback);
  std::printf("sign in with tenant '%s' and one of these users; the passwords are shown only now\n",
              summary.tenant_slug.c_str());
  for (const demo::DemoUser& user : summary.users) {
    std::printf("  %-8s %-34s password: %s\n", std::string(identity::RoleName(user.role)).c_str(),
                user.email.c_str(), user.password.c_str());
  }  std::printf("answer the live 'After delivery' survey (SurveyJS) at the server's address + %s\n",
              summary.survey_path.c_str());
}

struct TransferFlags {
  std::string kind;
  std::string file;  // import: the CSV ("-": standard input); export: --out ("" or "-": standard output)
  std::string rejects;
  std::vector<std::string> maps;  // --map COLUMN=TARGET,…, each
  std::string map_file;           // --map-file: a JSON object of the same
  int batch = transfer::kDefaultBatchSize;
  std::string format = "csv";
  std::string review_format;      // import reviews: csv or jsonl; empty: by the file's extension
  std::string review_touchpoint;  // import reviews: the touchpoint of rows without one
  std::string survey;             // import responses: the survey of rows without a survey_id column
  std::string metric;             // import responses: what the score column measures
  std::string nps_scale = "0-10";  // import responses: 1-11 for Qualtrics' recode values
  int header_rows = 1;            // import responses: header rows (Qualtrics writes 3)
  bool ignore_unknown = false;    // import responses: drop columns neither documented nor mapped
};

// What an import reads and where its rejects go: FILE or standard input ("-"), and --rejects FILE.
struct ImportFiles {
  std::ifstream file;
  std::istream* in = &std::cin;
  std::ofstream rejects;
  std::ostream* rejects_out = nullptr;
  std::uint64_t total_bytes = 0;  // a regular file's size, for the progress line; 0: unknown

  // False, with the reason on stderr, when a file cannot be opened.
  bool Open(const TransferFlags& flags) {
    if (flags.file != "-") {
      file.open(flags.file, std::ios::binary);
      if (!file) {
        std::cerr << "touchpoint: cannot read " << flags.file << ": " << std::strerror(errno) << "\n";
        return false;
      }
      struct stat info{};
      if (stat(flags.file.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
        total_bytes = static_cast<std::uint64_t>(info.st_size);
      }
      in = &file;
    }
    if (!flags.rejects.empty()) {
      rejects.open(flags.rejects, std::ios::binary | std::ios::trunc);
      if (!rejects) {
        std::cerr << "touchpoint: cannot write " << flags.rejects << ": " << std::strerror(errno) << "\n";
        return false;
      }
      rejects_out = &rejects;
    }
    return true;
  }

  // Says where the rejected rows are, or shows the first ten; the exit status: 1 when the rejects file
  // could not be written whole.
  int Finish(const TransferFlags& flags, std::int64_t rejected, const std::vector<transfer::Reject>& kept) {
    if (rejected > 0 && !flags.rejects.empty()) {
      std::printf("rejected rows are in %s (line, field and reason, then the row)\n", flags.rejects.c_str());
    } else if (rejected > 0) {
      for (std::size_t index = 0; index < kept.size() && index < 10; ++index) {
        std::fprintf(stderr, "line %lld: %s: %s\n", static_cast<long long>(kept[index].line), kept[index].field.c_str(),
                     kept[index].reason.c_str());
      }
      std::fprintf(stderr, "(use --rejects FILE to get every rejected row)\n");
    }
    if (!rejects.is_open() || rejects.good()) return 0;
    std::cerr << "touchpoint: writing " << flags.rejects << " failed\n";
    return 1;
  }
};

// --map-file then every --map into `mapping`; 0, or the exit status of the failure (reported).
int ReadMapping(const TransferFlags& flags, transfer::ColumnMapping& mapping) {
  if (!flags.map_file.empty()) {
    std::ifstream map_file(flags.map_file, std::ios::binary);
    if (!map_file) {
      std::cerr << "touchpoint: cannot read " << flags.map_file << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    const std::string text((std::istreambuf_iterator<char>(map_file)), std::istreambuf_iterator<char>());
    if (Status parsed = transfer::ParseColumnMappingJson(text, mapping); !parsed.ok()) return Fail(parsed);
  }
  for (const std::string& map : flags.maps) {
    if (Status parsed = transfer::ParseColumnMapping(map, mapping); !parsed.ok()) return Fail(parsed);
  }
  return 0;
}

// `touchpoint import responses FILE`: historic survey responses, as Import below.
int ImportResponsesFile(store::Store& store, const identity::Tenant& tenant, const TransferFlags& flags,
                        const identity::AuditContext& audit) {
  transfer::ResponseImportOptions options{.survey_id = flags.survey, .header_rows = flags.header_rows,
                                          .ignore_unknown = flags.ignore_unknown, .batch_size = flags.batch};
  if (!flags.metric.empty()) {
    const auto metric = feedback::ParseMetric(flags.metric);
    if (!metric.ok()) return Fail(metric.status());
    options.metric = *metric;
  }
  const auto scale = transfer::ParseNpsScale(flags.nps_scale);
  if (!scale.ok()) return Fail(scale.status());
  options.nps_scale = *scale;
  if (const int failed = ReadMapping(flags, options.mapping); failed != 0) return failed;
  ImportFiles files;
  if (!files.Open(flags)) return 1;
  options.total_bytes = files.total_bytes;
  options.rejects = files.rejects_out;
  transfer::ProgressLine progress(stderr, isatty(fileno(stderr)) != 0);
  options.on_progress = [&progress](const transfer::ImportProgress& now) { progress.Update(now); };
  auto summary = transfer::ImportResponses(store, tenant.id, *files.in, options, audit);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.status());
  const double rate = summary->seconds > 0 ? static_cast<double>(summary->rows_read) / summary->seconds : 0;
  std::printf("imported responses: %lld rows read, %lld loaded, %lld duplicates, %lld rejected; %lld profiles "
              "created, %lld anonymous; %.1f s, %.0f rows/s\n",
              static_cast<long long>(summary->rows_read), static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->duplicates), static_cast<long long>(summary->rejected),
              static_cast<long long>(summary->profiles_created), static_cast<long long>(summary->anonymous),
              summary->seconds, rate);
  return files.Finish(flags, summary->rejected, summary->rejects);
}

// `touchpoint import reviews FILE`: as Import below, for public reviews in CSV or JSON lines.
int ImportReviewsFile(store::Store& store, const identity::Tenant& tenant, const TransferFlags& flags,
                      const identity::AuditContext& audit) {
  if (!flags.maps.empty() || !flags.map_file.empty()) {
    return Fail(InvalidArgument("reviews have fixed field names: --map and --map-file do not apply", "map"));
  }
  const bool json_lines_name = flags.file.ends_with(".jsonl") || flags.file.ends_with(".ndjson");
  const auto format = transfer::ParseReviewFormat(
      !flags.review_format.empty() ? flags.review_format : (json_lines_name ? "jsonl" : "csv"));
  if (!format.ok()) return Fail(format.status());
  transfer::ReviewImportOptions options{.format = *format, .default_touchpoint = flags.review_touchpoint,
                                        .batch_size = flags.batch};
  ImportFiles files;
  if (!files.Open(flags)) return 1;
  options.total_bytes = files.total_bytes;
  options.rejects = files.rejects_out;
  transfer::ProgressLine progress(stderr, isatty(fileno(stderr)) != 0);
  options.on_progress = [&progress](const transfer::ImportProgress& now) { progress.Update(now); };
  auto summary = transfer::ImportReviews(store, tenant.id, *files.in, options, audit);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.status());
  std::printf("imported reviews: %lld rows read, %lld loaded, %lld duplicates, %lld rejected; %lld matched to "
              "customers; %.1f s\n",
              static_cast<long long>(summary->rows_read), static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->duplicates), static_cast<long long>(summary->rejected),
              static_cast<long long>(summary->matched), summary->seconds);
  return files.Finish(flags, summary->rejected, summary->rejects);
}

// `touchpoint import KIND FILE`: exit 0 when the file was read to the end, rejected rows included (they are
// counted and written to --rejects); 1 when the file cannot be read or the store fails; 2 for a bad header.
int Import(store::Store& store, const identity::Tenant& tenant, const TransferFlags& flags,
           const identity::AuditContext& audit) {
  if (flags.kind == "reviews") return ImportReviewsFile(store, tenant, flags, audit);
  if (flags.kind == "responses") return ImportResponsesFile(store, tenant, flags, audit);
  if (!flags.survey.empty() || !flags.metric.empty() || flags.nps_scale != "0-10" || flags.header_rows != 1 ||
      flags.ignore_unknown) {
    return Fail(InvalidArgument("--survey, --metric, --nps-scale, --header-rows and --ignore-unknown apply to responses "
                                "only",
                                "survey"));
  }
  const auto kind = transfer::ParseImportKind(flags.kind);
  if (!kind.ok()) return Fail(kind.status());
  if (!flags.review_format.empty() || !flags.review_touchpoint.empty()) {
    return Fail(InvalidArgument("--format and --touchpoint apply to reviews only", "format"));
  }
  transfer::ImportOptions options;
  options.batch_size = flags.batch;
  if (const int failed = ReadMapping(flags, options.mapping); failed != 0) return failed;
  ImportFiles files;
  if (!files.Open(flags)) return 1;
  options.total_bytes = files.total_bytes;
  options.rejects = files.rejects_out;
  transfer::ProgressLine progress(stderr, isatty(fileno(stderr)) != 0);
  options.on_progress = [&progress](const transfer::ImportProgress& now) { progress.Update(now); };
  auto summary = transfer::ImportCsv(store, tenant.id, *kind, *files.in, options, audit);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.status());
  const double rate = summary->seconds > 0 ? static_cast<double>(summary->rows_read) / summary->seconds : 0;
  std::printf("imported %s: %lld rows read, %lld loaded, %lld duplicates, %lld rejected; %lld profiles created, "
              "%lld merged; %.1f s, %.0f rows/s\n",
              flags.kind.c_str(), static_cast<long long>(summary->rows_read), static_cast<long long>(summary->loaded),
              static_cast<long long>(summary->duplicates), static_cast<long long>(summary->rejected),
              static_cast<long long>(summary->profiles_created), static_cast<long long>(summary->merges),
              summary->seconds, rate);
  return files.Finish(flags, summary->rejected, summary->rejects);
}

int Export(store::Store& store, const identity::Tenant& tenant, const TransferFlags& flags,
           const identity::AuditContext& audit) {
  const auto kind = transfer::ParseExportKind(flags.kind);
  if (!kind.ok()) return Fail(kind.status());
  const auto format = transfer::ParseExportFormat(flags.format);
  if (!format.ok()) return Fail(format.status());
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!flags.file.empty() && flags.file != "-") {
    file.open(flags.file, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "touchpoint: cannot write " << flags.file << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    out = &file;
  }
  Status audited = store.Write(tenant.id, [&](store::TenantTx& tx) -> Status {
    return identity::RecordAudit(tx, audit, flags.kind + ".export", "export", flags.kind);
  });
  if (!audited.ok()) return Fail(audited);
  auto summary = transfer::ExportData(store, tenant.id, *kind, {.format = *format}, *out);
  if (!summary.ok()) return Fail(summary.status());
  out->flush();
  if (!*out) {
    std::cerr << "touchpoint: writing the export failed\n";
    return 1;
  }
  std::fprintf(stderr, "exported %lld %s\n", static_cast<long long>(summary->rows), flags.kind.c_str());
  return 0;
}

int Serve(const ServeFlags& flags) {
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  // Every connection takes a descriptor; the default soft limit (often 1024) is far below the hard one.
  const std::uint64_t descriptor_limit = http::RaiseDescriptorLimit();
  auto listen = ParseListen(flags.listen);
  if (!listen.ok()) return Fail(listen.status());
  ShutdownOnSignal shutdown;
  auto opened = store::OpenStore(flags.db);
  if (!opened.ok()) return Fail(opened.status());
  store::Store& store = **opened;
  if (!flags.no_migrate) {
    if (Status migrated = store.Migrate(); !migrated.ok()) return Fail(migrated);
  }
  PlatformFlags platform_flags = flags.platform;
  platform_flags.public_url = flags.public_url.empty() ? "http://" + flags.listen : flags.public_url;
  while (platform_flags.public_url.ends_with('/')) platform_flags.public_url.pop_back();
  auto platform = Platform::Create(store, flags.db, platform_flags);
  if (!platform.ok()) return Fail(platform.status());
  http::Metrics metrics;
  api::ApiOptions api_options;
  api_options.secrets = (*platform)->secrets();
  api_options.credentials = &(*platform)->credentials();
  api_options.analytics = &(*platform)->analytics();
  api_options.mail_from = flags.platform.smtp_url.empty() ? "" : flags.platform.mail_from;
  api_options.secure_cookies = flags.secure_cookies;
  api_options.requests_per_second = flags.rate_limit;
  api_options.request_burst = flags.rate_burst;
  // A compressed body may expand; allow what the body limit allows, eightfold, within reason.
  api_options.max_decoded_body = std::min<std::size_t>(8 * flags.body_limit, std::size_t{64} << 20);
  api_options.respondent_requests_per_second = flags.respondent_rate_limit;
  api_options.respondent_burst = flags.respondent_rate_burst;
  api_options.web_root = flags.web_root;
  api_options.public_url = platform_flags.public_url;
  const api::Api api(store, metrics, api_options);

  http::ServerOptions options;
  options.host = listen->first;
  options.port = listen->second;
  options.body_limit = flags.body_limit;
  // CSV imports stream from a temporary file, so they may be far larger than other bodies.
  options.spooled_prefixes = {"/api/v1/imports/", "/api/v1/attachments"};
  options.spooled_body_limit = flags.upload_limit;
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
    options.spool_directory = tmpdir;
  }
  options.io_threads = flags.io_threads;
  options.worker_threads = flags.worker_threads;
  options.access_log = !flags.no_access_log;
  // Snowplow trackers put their API key in the URL (/snowplow/tpk_…/i): keep it out of the log.
  options.credential_segment_prefix = "tpk_";
  options.header_timeout = std::chrono::milliseconds(flags.header_timeout_ms);
  options.max_queued_requests = flags.max_queued_requests;
  // Health checks are answered while the workers are saturated; they carry no tenant data.
  options.unqueued_paths = {"/healthz", "/readyz"};
  options.max_connections_per_address = flags.max_connections_per_address;
  options.max_connections = flags.max_connections;
  http::Server server(
      options, [&api](http::Request& request) { return api.Handle(request); }, metrics,
      [&api](http::Request& request) { return api.Admit(request); });
  if (Status listening = server.Listen(); !listening.ok()) return Fail(listening);
  if (Status started = (*platform)->Start(); !started.ok()) return Fail(started);
  shutdown.Watch(server);
  const std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("touchpoint %s is serving http://%s:%u (store: %s)\n", std::string(kVersion).c_str(), host.c_str(),
              server.port(), store::DescribeStoreUrl(flags.db).c_str());
  std::fflush(stdout);
  spdlog::info("open file descriptor limit: {}", descriptor_limit);
  server.Run();
  (*platform)->Stop();
  store.Close();
  spdlog::info("stopped cleanly");
  return 0;
}

int Run(int argc, char** argv) {
  // The database files hold password hashes and customers' personal data: readable by this user only.
  umask(0077);
  InitCrypto();
  CLI::App app{"touchpoint: customer data, omnichannel help desk, experience surveys and CX analytics"};
  app.require_subcommand(1);
  app.set_config("--config", "", "configuration file (TOML; put serve options in a [serve] section)");
  app.fallthrough();  // lets `touchpoint serve --config FILE` pass --config to the top level

  ServeFlags serve_flags;
  auto* serve = app.add_subcommand("serve", "Run the HTTP server");
  serve->add_option("--listen", serve_flags.listen, "HOST:PORT to listen on")->envname("TOUCHPOINT_LISTEN")
      ->capture_default_str();
  serve->add_option("--db", serve_flags.db, "sqlite:PATH or postgresql://...")->envname("TOUCHPOINT_DB")
      ->capture_default_str();
  serve->add_option("--body-limit", serve_flags.body_limit, "largest accepted request body in bytes")
      ->envname("TOUCHPOINT_BODY_LIMIT")->capture_default_str()->check(CLI::Range(1024, 1 << 30));
  serve->add_option("--upload-limit", serve_flags.upload_limit,
                    "largest CSV upload to /api/v1/imports in bytes (written to $TMPDIR, not memory)")
      ->envname("TOUCHPOINT_UPLOAD_LIMIT")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 40));
  serve->add_option("--io-threads", serve_flags.io_threads, "network threads")
      ->envname("TOUCHPOINT_IO_THREADS")->capture_default_str()->check(CLI::Range(1, 64));
  serve->add_option("--workers", serve_flags.worker_threads, "request handler threads")
      ->envname("TOUCHPOINT_WORKERS")->capture_default_str()->check(CLI::Range(1, 256));
  serve->add_option("--rate-limit", serve_flags.rate_limit, "requests per second per caller (0: off)")
      ->envname("TOUCHPOINT_RATE_LIMIT")->capture_default_str();
  serve->add_option("--rate-burst", serve_flags.rate_burst, "burst allowance per caller")
      ->envname("TOUCHPOINT_RATE_BURST")->capture_default_str();
  serve->add_flag("--secure-cookies", serve_flags.secure_cookies, "mark session cookies Secure (HTTPS)")
      ->envname("TOUCHPOINT_SECURE_COOKIES");
  serve->add_flag("--no-migrate", serve_flags.no_migrate, "do not apply migrations on start");
  serve->add_option("--respondent-rate-limit", serve_flags.respondent_rate_limit,
                    "survey respondents' requests per second per client address (0: off)")
      ->envname("TOUCHPOINT_RESPONDENT_RATE_LIMIT")->capture_default_str();
  serve->add_option("--respondent-rate-burst", serve_flags.respondent_rate_burst,
                    "burst allowance per survey respondent address")
      ->envname("TOUCHPOINT_RESPONDENT_RATE_BURST")->capture_default_str();
  serve->add_option("--web-root", serve_flags.web_root,
                    "directory of the survey page's files (web/ of a checkout, after npm ci there)")
      ->envname("TOUCHPOINT_WEB_ROOT")->capture_default_str();
  serve->add_option("--public-url", serve_flags.public_url,
                    "how respondents reach this server, e.g. https://cx.example.com (survey link URLs; default "
                    "http://LISTEN)")
      ->envname("TOUCHPOINT_PUBLIC_URL");
  serve->add_flag("--no-access-log", serve_flags.no_access_log, "do not write the JSON access log");
  serve->add_option("--header-timeout-ms", serve_flags.header_timeout_ms,
                    "drop a client that has not sent its request headers within this time")
      ->envname("TOUCHPOINT_HEADER_TIMEOUT_MS")->capture_default_str()->check(CLI::Range(100, 600'000));
  PlatformFlags& platform = serve_flags.platform;
  serve->add_option("--secrets-key-file", platform.secrets_key_file,
                    "32-byte key sealing webhook secrets (default with SQLite: secrets.key beside the database, "
                    "created on first start; with PostgreSQL name a file every node shares, or webhooks cannot be "
                    "created)")
      ->envname("TOUCHPOINT_SECRETS_KEY_FILE");
  serve->add_option("--allow-outbound", platform.allow_outbound,
                    "ADDRESS[/PREFIX][:PORT] that webhooks and SMTP may reach although it is loopback or private "
                    "(repeatable)")
      ->envname("TOUCHPOINT_ALLOW_OUTBOUND")->delimiter(',');
  serve->add_option("--smtp-url", platform.smtp_url, "smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT]")
      ->envname("TOUCHPOINT_SMTP_URL");
  serve->add_option("--smtp-user", platform.smtp_user, "SMTP user name")->envname("TOUCHPOINT_SMTP_USER");
  serve->add_option("--smtp-password-file", platform.smtp_password_file, "file holding the SMTP password")
      ->envname("TOUCHPOINT_SMTP_PASSWORD_FILE");
  serve->add_option("--smtp-tls", platform.smtp_tls, "required, opportunistic or none (STARTTLS on smtp://)")
      ->envname("TOUCHPOINT_SMTP_TLS")->capture_default_str()
      ->check(CLI::IsMember({"required", "opportunistic", "none"}));
  serve->add_option("--outbound-ca-file", platform.outbound_ca_file,
                    "PEM bundle that webhooks and SMTP trust instead of the system's CA store (a private CA)")
      ->envname("TOUCHPOINT_OUTBOUND_CA_FILE");
  serve->add_option("--mail-from", platform.mail_from, "sender address of e-mail touchpoint sends")
      ->envname("TOUCHPOINT_MAIL_FROM");
  serve->add_option("--job-workers", platform.job_workers, "threads running background jobs (deliveries)")
      ->envname("TOUCHPOINT_JOB_WORKERS")->capture_default_str()->check(CLI::Range(1, 64));
  serve->add_option("--job-lease-seconds", platform.job_lease_seconds,
                    "how long a job may run before another process presumes its worker dead and takes it over")
      ->envname("TOUCHPOINT_JOB_LEASE_SECONDS")->capture_default_str()->check(CLI::Range(1, 86'400));
  serve->add_option("--job-retry-base-ms", platform.job_retry_base_ms,
                    "pause before a failed job's first retry; it doubles with every further one (up to 6 h)")
      ->envname("TOUCHPOINT_JOB_RETRY_BASE_MS")->capture_default_str()->check(CLI::Range(10, 3'600'000));
  serve->add_option("--max-queued-requests", serve_flags.max_queued_requests,
                    "requests waiting for a worker; more are answered 503 with Retry-After at once")
      ->envname("TOUCHPOINT_MAX_QUEUED_REQUESTS")->capture_default_str()->check(CLI::Range(0, 1'000'000));
  serve->add_option("--max-connections-per-address", serve_flags.max_connections_per_address,
                    "open connections from one client address; more are closed at once")
      ->envname("TOUCHPOINT_MAX_CONNECTIONS_PER_ADDRESS")->capture_default_str()->check(CLI::Range(1, 1'000'000));
  serve->add_option("--max-connections", serve_flags.max_connections,
                    "open connections in all (0: the open file limit less 128 kept for the store and uploads)")
      ->envname("TOUCHPOINT_MAX_CONNECTIONS")->capture_default_str()->check(CLI::Range(0, 10'000'000));
  serve->add_option("--log-level", serve_flags.log_level, "trace, debug, info, warn, error")
      ->envname("TOUCHPOINT_LOG_LEVEL")->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  std::string db{kDefaultDb};
  auto add_db = [&db](CLI::App* command) {
    command->add_option("--db", db, "sqlite:PATH or postgresql://...")->envname("TOUCHPOINT_DB")
        ->capture_default_str();
  };

  auto* migrate = app.add_subcommand("migrate", "Apply database migrations and print the schema version");
  add_db(migrate);

  std::string tenant_slug = "demo", tenant_name;
  auto* tenant = app.add_subcommand("tenant", "Manage tenants")->require_subcommand(1);
  auto* tenant_add = tenant->add_subcommand("add", "Create a tenant");
  add_db(tenant_add);
  tenant_add->add_option("--slug", tenant_slug, "short unique name, [a-z0-9-]")->required();
  tenant_add->add_option("--name", tenant_name, "display name")->required();

  identity::NewUser new_user;
  std::string role_name = "agent";
  bool password_stdin = false;
  auto* user = app.add_subcommand("user", "Manage users")->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Create a user (prints a generated password unless --password-stdin)");
  add_db(user_add);
  user_add->add_option("--tenant", tenant_slug, "tenant slug")->capture_default_str();
  user_add->add_option("--email", new_user.email, "e-mail address (the login)")->required();
  user_add->add_option("--name", new_user.name, "display name")->required();
  user_add->add_option("--role", role_name, "admin, manager, agent, analyst or viewer")->capture_default_str()
      ->check(CLI::IsMember({"admin", "manager", "agent", "analyst", "viewer"}));
  user_add->add_flag("--password-stdin", password_stdin, "read the password from standard input");

  std::string key_user_email, key_name = "cli", scope_name = "full";
  auto* apikey = app.add_subcommand("apikey", "Manage API keys")->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "Create an API key (the token is printed once)");
  add_db(apikey_create);
  apikey_create->add_option("--tenant", tenant_slug, "tenant slug")->capture_default_str();
  apikey_create->add_option("--user", key_user_email, "e-mail of the user the key acts for")->required();
  apikey_create->add_option("--name", key_name, "what the key is for")->capture_default_str();
  apikey_create->add_option("--scope", scope_name, "ingest (events and feedback only) or full")
      ->capture_default_str()->check(CLI::IsMember({"ingest", "full"}));

  demo::DemoOptions demo_options;
  bool if_empty = false;
  auto* demo_data = app.add_subcommand("demo-data", "Create a demo tenant with users, customers, cases and feedback");
  add_db(demo_data);
  demo_data->add_flag("--if-empty", if_empty, "do nothing when the demo tenant already exists");
  demo_data->add_option("--customers", demo_options.customers, "number of customers")->capture_default_str();
  demo_data->add_option("--cases", demo_options.cases, "number of cases")->capture_default_str();
  demo_data->add_option("--feedback", demo_options.feedback, "number of survey responses")->capture_default_str();

  TransferFlags transfer_flags;
  auto* import = app.add_subcommand(
      "import", "Import customers, events, orders or survey responses from a CSV file, or public reviews from CSV or "
                "JSON lines (see "
                "docs/import-export.md); rejected rows "
                "are reported, the exit code is 0 unless the file cannot be read");
  add_db(import);
  import->add_option("kind", transfer_flags.kind, "customers, events, orders, reviews or responses")->required()
      ->check(CLI::IsMember({"customers", "events", "orders", "reviews", "responses"}));
  import->add_option("file", transfer_flags.file, "the CSV file (- for standard input)")->required();
  import->add_option("--tenant", tenant_slug, "tenant slug")->capture_default_str();
  import->add_option("--rejects", transfer_flags.rejects, "write rejected rows to this CSV file");
  import->add_option("--map", transfer_flags.maps,
                     "which documented column a column of the file holds: COLUMN=TARGET pairs separated by commas, "
                     "e.g. customer_id=user_id,ts=timestamp (TARGET ignore drops a column); may be repeated");
  import->add_option("--map-file", transfer_flags.map_file,
                     "the same as a JSON object, {\"customer_id\": \"user_id\", …}");
  import->add_option("--batch", transfer_flags.batch, "rows per transaction")->capture_default_str()
      ->check(CLI::Range(1, transfer::kMaxBatchSize));
  import->add_option("--format", transfer_flags.review_format,
                     "reviews: csv or jsonl (default: jsonl for a .jsonl or .ndjson file, else csv)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  import->add_option("--touchpoint", transfer_flags.review_touchpoint, "reviews: the touchpoint of rows without one");
  import->add_option("--survey", transfer_flags.survey, "responses: the survey (svy_…) of rows without a survey_id");
  import->add_option("--metric", transfer_flags.metric, "responses: what the score column measures")
      ->check(CLI::IsMember({"nps", "csat", "ces"}));
  import->add_option("--nps-scale", transfer_flags.nps_scale,
                     "responses: 0-10, or 1-11 for Qualtrics' recode values (1 is 0, 11 is 10)")
      ->capture_default_str()->check(CLI::IsMember({"0-10", "1-11"}));
  import->add_option("--header-rows", transfer_flags.header_rows,
                     "responses: rows of header; the first names the columns (Qualtrics exports have 3)")
      ->capture_default_str()->check(CLI::Range(1, 10));
  import->add_flag("--ignore-unknown", transfer_flags.ignore_unknown,
                   "responses: leave out columns that are neither documented nor mapped");
  auto* export_data = app.add_subcommand("export", "Export customers or events as CSV or JSON lines");
  add_db(export_data);
  export_data->add_option("kind", transfer_flags.kind, "customers or events")->required()
      ->check(CLI::IsMember({"customers", "events"}));
  export_data->add_option("--tenant", tenant_slug, "tenant slug")->capture_default_str();
  export_data->add_option("--format", transfer_flags.format, "csv or jsonl")->capture_default_str()
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_data->add_option("--out", transfer_flags.file, "output file (default: standard output)");

  auto* version = app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);

  if (*version) {
    std::printf("touchpoint %s\n", std::string(kVersion).c_str());
    return 0;
  }
  if (*serve) return Serve(serve_flags);

  auto opened = OpenMigrated(db);
  if (!opened.ok()) return Fail(opened.status());
  store::Store& store = **opened;
  const auto cli_audit = identity::AuditContext::System("cli");

  if (*migrate) {
    auto schema = store.SchemaVersion();
    if (!schema.ok()) return Fail(schema.status());
    std::printf("schema version %d\n", *schema);
    return 0;
  }
  if (*tenant_add) {
    Status created = store.WriteSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto made, identity::CreateTenant(tx, tenant_slug, tenant_name));
      std::printf("created tenant %s (%s)\n", made.slug.c_str(), made.id.c_str());
      return Status::Ok();
    });
    return created.ok() ? 0 : Fail(created);
  }
  if (*user_add) {
    auto found = FindTenant(store, tenant_slug);
    if (!found.ok()) return Fail(found.status());
    new_user.role = *identity::ParseRole(role_name);
    const bool generated = !password_stdin;
    if (password_stdin) {
      std::getline(std::cin, new_user.password);
    } else {
      new_user.password = RandomToken(15);
    }
    Status created = store.Write(found->id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto made, identity::CreateUser(tx, cli_audit, new_user));
      std::printf("created user %s <%s> with role %s\n", made.id.c_str(), made.email.c_str(), role_name.c_str());
      return Status::Ok();
    });
    if (!created.ok()) return Fail(created);
    if (generated) std::printf("password (shown once): %s\n", new_user.password.c_str());
    return 0;
  }
  if (*apikey_create) {
    auto found = FindTenant(store, tenant_slug);
    if (!found.ok()) return Fail(found.status());
    Status created = store.Write(found->id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto owner, identity::FindUserByEmail(tx, key_user_email));
      identity::Principal creator;
      creator.tenant_id = found->id;
      creator.user_id = owner.id;
      creator.role = owner.role;
      TP_ASSIGN_OR_RETURN(auto made, identity::CreateApiKey(tx, cli_audit, creator, key_name,
                                                            *identity::ParseApiKeyScope(scope_name)));
      std::printf("created API key %s (scope %s)\ntoken (shown once): %s\n", made.key.id.c_str(),
                  scope_name.c_str(), made.secret_token.c_str());
      return Status::Ok();
    });
    return created.ok() ? 0 : Fail(created);
  }
  if (*import || *export_data) {
    auto found = FindTenant(store, tenant_slug);
    if (!found.ok()) return Fail(found.status());
    return *import ? Import(store, *found, transfer_flags, cli_audit) : Export(store, *found, transfer_flags, cli_audit);
  }
  if (*demo_data) {
    if (if_empty) {
      auto has_data = demo::TenantHasData(store, demo_options.tenant_slug);
      if (!has_data.ok()) return Fail(has_data.status());
      if (*has_data) {
        std::printf("demo tenant '%s' already exists; sign-in details were printed when it was created\n",
                    demo_options.tenant_slug.c_str());
        return 0;
      }
    }
    auto summary = demo::CreateDemoData(store, demo_options);
    if (!summary.ok()) return Fail(summary.status());
    PrintDemoSummary(*summary);
    return 0;
  }
  return 0;
}

}  // namespace
}  // namespace tp::app

int main(int argc, char** argv) { return tp::app::Run(argc, argv); }
