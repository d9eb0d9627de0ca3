// The analytics engine against SQL on the same data (issue 13): seeds N feedback responses for C
// customers (seeded, deterministic), loads them into the engine through analytics_source::LoadTenant
// (the start-up rebuild, timed) and times the issue's questions on the engine (warm, median of
// --repeat runs) and as SQL on the store (median of --sql-repeat runs), checking that the answers agree.
//
//   analytics --db URL [--tenant bench] [--responses 10000000] [--customers 1000000] [--seed 42]
//             [--repeat 20] [--sql-repeat 3] [--seed-only] [--engine-only] [--feed N]
//
// --feed N then submits N more responses through feedback::SubmitFeedback (1 000 a transaction, each
// publishing feedback.submitted) and times analytics_source::ApplyChanges over their change records in
// the feed's batches of 256: the rate at which the engine follows new responses.
// --engine-only skips the store: the responses go straight into the engine (memory and query times at
// any N without waiting for a bulk load). Rows: 60 % NPS, 30 % CSAT, 10 % CES over two years ending
// 2026-12-01, in time order; 8 touchpoints, 6 stages, 5 channels, 20 teams, 200 agents, 10 surveys,
// 5 languages; customers with segment (5 values), country (8) and plan (3) traits; scores drawn with a
// per-touchpoint and per-segment shift. Every response has a survey response (its channel, stage,
// language, team and agent).
//
// Questions (Q4 is a grouped history, Q5 needs revenue, which the engine does not hold yet):
//   Q1 overall NPS                         Q2 NPS by touchpoint × month
//   Q3 NPS by segment × channel, last 90 days
//   Q4 one customer's responses by survey × touchpoint × day
//   Q6 CSAT by team × week for segment "vip" with plan = "pro"
// Output, one line per question and engine:
//   analytics-result q=Q2 engine=engine|sqlite|postgres median_ms=N groups=N agree=yes|no|-
//   analytics-load rows=N customers=N seconds=N bytes_per_response=N customer_bytes=N
//   analytics-feed responses=N seconds=N per_second=N
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/engine.h"
#include "analytics/query.h"
#include "analytics_source/source.h"
#include "common/ids.h"
#include "feedback/feedback.h"
#include "identity/audit.h"
#include "common/status.h"
#include "store/store.h"
#include "tenant_lookup.h"

namespace {

using Clock = std::chrono::steady_clock;
using tp::Result;
using tp::Status;
using Counts = std::map<std::string, std::array<std::int64_t, 3>>;  // key → (promoters|satisfied, detractors, n)

struct Args {
  std::string db, tenant = "bench";
  std::int64_t responses = 10'000'000, customers = 1'000'000;
  std::uint64_t seed = 42;
  int repeat = 20, sql_repeat = 3;
  std::int64_t feed = 0;
  bool seed_only = false, engine_only = false;
};

constexpr tp::Micros kEnd = 1'796'083'200'000'000;  // 2026-12-01T00:00:00Z
constexpr tp::Micros kDay = 86'400'000'000;
constexpr tp::Micros kSpan = 730 * kDay;
constexpr int kRowsPerStatement = 200;
constexpr int kRowsPerTransaction = 20'000;

const std::vector<std::string> kTouchpoints = {"website", "checkout", "delivery", "call centre", "store", "app", "returns", "billing"};
const std::vector<std::string> kStages = {"awareness", "consideration", "purchase", "delivery", "after-sales", "complaint"};
const std::vector<std::string> kChannels = {"email", "web", "sms", "whatsapp", "kiosk"};
const std::vector<std::string> kSegments = {"vip", "regular", "new", "at-risk", "b2b"};
const std::vector<std::string> kCountries = {"CZ", "SK", "PL", "SI", "AT", "DE", "HU", "HR"};
const std::vector<std::string> kPlans = {"free", "plus", "pro"};
const std::vector<std::string> kLanguages = {"cs", "sk", "pl", "sl", "en"};

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s --db URL [--tenant SLUG] [--responses N] [--customers N] [--seed N] [--repeat N] "
               "[--sql-repeat N] [--seed-only] [--engine-only]\n",
               program);
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    const std::string flag = argv[arg_idx];
    const auto value = [&]() -> std::string {
      if (arg_idx + 1 >= argc) Usage(argv[0]);
      return argv[++arg_idx];
    };
    if (flag == "--db") args.db = value();
    else if (flag == "--tenant") args.tenant = value();
    else if (flag == "--responses") args.responses = std::stoll(value());
    else if (flag == "--customers") args.customers = std::stoll(value());
    else if (flag == "--seed") args.seed = std::stoull(value());
    else if (flag == "--repeat") args.repeat = std::stoi(value());
    else if (flag == "--sql-repeat") args.sql_repeat = std::stoi(value());
    else if (flag == "--feed") args.feed = std::stoll(value());
    else if (flag == "--seed-only") args.seed_only = true;
    else if (flag == "--engine-only") args.engine_only = true;
    else Usage(argv[0]);
  }
  if (args.db.empty() && !args.engine_only) Usage(argv[0]);
  return args;
}

std::string CustomerId(std::int64_t index) {
  char text[32];
  // Shaped like a real id (26 Crockford characters), which SubmitFeedback checks.
  std::snprintf(text, sizeof text, "cus_BENCH%021lld", static_cast<long long>(index));
  return text;
}

struct Customer {
  int segment, country, plan;
};

// The world, drawn the same way for the store and the engine-only mode.
class World {
 public:
  explicit World(const Args& args) : args_(args), random_(args.seed) {
    for (std::int64_t index = 0; index < args.customers; ++index) {
      customers_.push_back({Pick(kSegments.size()), Pick(kCountries.size()), Pick(kPlans.size())});
    }
  }
  const std::vector<Customer>& customers() const { return customers_; }

  // The index-th response, in time order.
  tp::analytics::AddResponse Response(std::int64_t index) {
    tp::analytics::AddResponse response;
    const int metric_draw = Pick(10);
    response.metric = metric_draw < 6 ? tp::feedback::Metric::kNps
                                      : (metric_draw < 9 ? tp::feedback::Metric::kCsat : tp::feedback::Metric::kCes);
    const std::int64_t customer = std::uniform_int_distribution<std::int64_t>(0, args_.customers - 1)(random_);
    response.customer_id = CustomerId(customer);
    const int touchpoint = Pick(kTouchpoints.size());
    response.touchpoint = kTouchpoints[touchpoint];
    response.stage = kStages[Pick(kStages.size())];
    response.channel = kChannels[Pick(kChannels.size())];
    response.survey = "survey-" + std::to_string(Pick(10));
    response.language = kLanguages[Pick(kLanguages.size())];
    response.team_id = "tea_" + std::to_string(Pick(20));
    response.agent_id = "usr_" + std::to_string(Pick(200));
    response.created_at = kEnd - kSpan + index * (kSpan / args_.responses) + Pick(1000) * 1'000'000LL;
    // Delivery and returns score lower, VIPs higher: something for the groups to show.
    const double shift = (touchpoint == 2 || touchpoint == 6 ? -1.5 : 0.5) + (customers_[customer].segment == 0 ? 1.0 : 0.0);
    const int max_score = tp::feedback::MaxScore(response.metric);
    const int min_score = tp::feedback::MinScore(response.metric);
    const double centre = min_score + (max_score - min_score) * 0.7 + shift * (max_score - min_score) / 10.0;
    const int score = static_cast<int>(std::lround(std::normal_distribution<double>(centre, (max_score - min_score) / 4.0)(random_)));
    response.score = std::clamp(score, min_score, max_score);
    return response;
  }

 private:
  int Pick(std::size_t count) { return std::uniform_int_distribution<int>(0, static_cast<int>(count) - 1)(random_); }
  const Args& args_;
  std::mt19937_64 random_;
  std::vector<Customer> customers_;
};

std::string TraitsJson(const Customer& customer) {
  return nlohmann::json{{"segment", kSegments[customer.segment]},
                        {"country", kCountries[customer.country]},
                        {"plan", kPlans[customer.plan]}}
      .dump();
}

std::string Placeholders(int rows, int columns) {
  std::string sql;
  int parameter = 2;
  for (int row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    sql += "$1";
    for (int column = 0; column < columns; ++column) sql += ", $" + std::to_string(parameter++);
    sql += ")";
  }
  return sql;
}

Status Seed(tp::store::Store& store, const std::string& tenant_id, World& world, const Args& args) {
  const auto started = Clock::now();
  // Customers.
  for (std::int64_t first = 0; first < args.customers; first += kRowsPerTransaction) {
    const std::int64_t last = std::min<std::int64_t>(args.customers, first + kRowsPerTransaction);
    TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      for (std::int64_t begin = first; begin < last; begin += kRowsPerStatement) {
        const int rows = static_cast<int>(std::min<std::int64_t>(kRowsPerStatement, last - begin));
        std::vector<tp::store::Value> params;
        for (int row = 0; row < rows; ++row) {
          params.insert(params.end(), {CustomerId(begin + row), std::string("Bench customer"),
                                       TraitsJson(world.customers()[begin + row]), kEnd - kSpan, kEnd - kSpan});
        }
        TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO customers (tenant_id, id, name, traits, created_at, updated_at) VALUES " +
                                          Placeholders(rows, 5),
                                      std::move(params))
                               .status());
      }
      return Status::Ok();
    }));
  }
  std::printf("analytics-seeded customers=%lld seconds=%.1f\n", static_cast<long long>(args.customers),
              std::chrono::duration<double>(Clock::now() - started).count());
  // Responses, each with its survey response.
  std::int64_t index = 0;
  while (index < args.responses) {
    const std::int64_t last = std::min<std::int64_t>(args.responses, index + kRowsPerTransaction);
    TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      while (index < last) {
        const int rows = static_cast<int>(std::min<std::int64_t>(kRowsPerStatement, last - index));
        std::vector<tp::store::Value> feedback_params, survey_params;
        for (int row = 0; row < rows; ++row, ++index) {
          const tp::analytics::AddResponse response = world.Response(index);
          char ids[2][40];
          std::snprintf(ids[0], sizeof ids[0], "fbk_bench%010lld", static_cast<long long>(index));
          std::snprintf(ids[1], sizeof ids[1], "srs_bench%010lld", static_cast<long long>(index));
          feedback_params.insert(feedback_params.end(),
                                 {std::string(ids[0]), *response.customer_id, response.survey,
                                  std::string(tp::feedback::MetricName(response.metric)),
                                  static_cast<std::int64_t>(response.score), response.touchpoint, response.created_at,
                                  std::string(ids[1])});
          survey_params.insert(survey_params.end(),
                               {std::string(ids[1]), *response.customer_id, response.channel, response.touchpoint,
                                response.stage, response.language, response.team_id, response.agent_id,
                                response.created_at});
        }
        TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO feedback_responses (tenant_id, id, customer_id, survey, metric, score, "
                                      "touchpoint, created_at, survey_response_id) VALUES " + Placeholders(rows, 8),
                                      std::move(feedback_params))
                               .status());
        std::string survey_sql =
            "INSERT INTO survey_responses (tenant_id, id, customer_id, channel, touchpoint, stage, language, team_id, "
            "agent_id, submitted_at, survey_id, version, status, data, started_at) VALUES ";
        int parameter = 2;
        for (int row = 0; row < rows; ++row) {
          survey_sql += row == 0 ? "($1" : ", ($1";
          for (int column = 0; column < 9; ++column) survey_sql += ", $" + std::to_string(parameter++);
          survey_sql += ", 'svy_bench', 1, 'completed', '{}', $" + std::to_string(parameter - 1) + ")";
        }
        TP_RETURN_IF_ERROR(tx.Execute(survey_sql, std::move(survey_params)).status());
      }
      return Status::Ok();
    }));
  }
  std::printf("analytics-seeded responses=%lld seconds=%.1f\n", static_cast<long long>(args.responses),
              std::chrono::duration<double>(Clock::now() - started).count());
  std::fflush(stdout);
  return Status::Ok();
}

struct Question {
  std::string name;
  std::string engine;  // the query JSON
  bool nps = true;     // counts are promoters/detractors (else satisfied)
  // The SQL, by backend; the first column is the group key joined with '|'.
  std::function<std::string(tp::store::Backend)> sql;
};

std::string Month(tp::store::Backend backend) {
  return backend == tp::store::Backend::kPostgres
             ? "to_char(to_timestamp(f.created_at / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM')"
             : "strftime('%Y-%m', f.created_at / 1000000, 'unixepoch')";
}
std::string Week(tp::store::Backend backend) {
  return backend == tp::store::Backend::kPostgres
             ? "to_char(date_trunc('week', to_timestamp(f.created_at / 1000000) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
             : "date(f.created_at / 1000000, 'unixepoch', 'weekday 0', '-6 days')";
}
std::string Day(tp::store::Backend backend) {
  return backend == tp::store::Backend::kPostgres
             ? "to_char(to_timestamp(f.created_at / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
             : "date(f.created_at / 1000000, 'unixepoch')";
}
std::string Trait(tp::store::Backend backend, const std::string& name) {
  return backend == tp::store::Backend::kPostgres ? "COALESCE((c.traits::json)->>'" + name + "', '')"
                                                  : "COALESCE(json_extract(c.traits, '$." + name + "'), '')";
}

const std::string kNpsCounts =
    "SUM(CASE WHEN f.score >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN f.score <= 6 THEN 1 ELSE 0 END), COUNT(*) ";
const std::string kCsatCounts = "SUM(CASE WHEN f.score >= 4 THEN 1 ELSE 0 END), 0, COUNT(*) ";
const std::string kJoins =
    "FROM feedback_responses f LEFT JOIN survey_responses r ON r.tenant_id = f.tenant_id AND r.id = f.survey_response_id "
    "LEFT JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id ";

std::vector<Question> Questions() {
  const std::string since90 = std::to_string(kEnd - 90 * kDay);
  const std::string until = std::to_string(kEnd);
  const std::string customer = CustomerId(7);
  using B = tp::store::Backend;
  return {
      {"Q1", R"({"metric":"nps"})", true,
       [](B) { return "SELECT '', " + kNpsCounts + "FROM feedback_responses f WHERE f.tenant_id = $1 AND f.metric = 'nps'"; }},
      {"Q2", R"({"metric":"nps","group_by":["touchpoint"],"bucket":"month"})", true,
       [](B backend) {
         return "SELECT f.touchpoint || '|' || " + Month(backend) + ", " + kNpsCounts +
                "FROM feedback_responses f WHERE f.tenant_id = $1 AND f.metric = 'nps' GROUP BY 1";
       }},
      {"Q3", R"({"metric":"nps","group_by":["segment","channel"],"time":{"last_days":90,"until":"2026-12-01T00:00:00Z"}})", true,
       [since90, until](B backend) {
         return "SELECT " + Trait(backend, "segment") + " || '|' || COALESCE(r.channel, ''), " + kNpsCounts + kJoins +
                "WHERE f.tenant_id = $1 AND f.metric = 'nps' AND f.created_at >= " + since90 + " AND f.created_at < " + until +
                " GROUP BY 1";
       }},
      {"Q4",
       R"({"metric":"response_count","group_by":["survey","touchpoint"],"bucket":"day","filters":[{"field":"customer_id","equals":")" +
           customer + R"("}]})",
       true,
       [customer](B backend) {
         return "SELECT f.survey || '|' || f.touchpoint || '|' || " + Day(backend) +
                ", 0, 0, COUNT(*) FROM feedback_responses f WHERE f.tenant_id = $1 AND f.customer_id = '" + customer +
                "' GROUP BY 1";
       }},
      {"Q6",
       R"({"metric":"csat","group_by":["team"],"bucket":"week","filters":[{"field":"segment","equals":"vip"},{"field":"trait.plan","equals":"pro"}]})",
       false,
       [](B backend) {
         return "SELECT COALESCE(r.team_id, '') || '|' || " + Week(backend) + ", " + kCsatCounts + kJoins +
                "WHERE f.tenant_id = $1 AND f.metric = 'csat' AND " + Trait(backend, "segment") + " = 'vip' AND " +
                Trait(backend, "plan") + " = 'pro' GROUP BY 1";
       }},
  };
}

Counts EngineCounts(const tp::analytics::QueryResult& result, bool nps, bool count_only) {
  Counts counts;
  const auto add = [&](const std::string& key, const tp::feedback::MetricSummary& summary) {
    const auto share = [&](const std::optional<double>& pct) {
      return static_cast<std::int64_t>(std::llround(pct.value_or(0) * summary.count / 100.0));
    };
    if (count_only) counts[key] = {0, 0, summary.count};
    else if (nps) counts[key] = {share(summary.promoters_pct), share(summary.detractors_pct), summary.count};
    else counts[key] = {share(summary.satisfied_pct), 0, summary.count};
  };
  if (result.columns.empty()) {
    add("", result.total);
    return counts;
  }
  for (const auto& group : result.groups) {
    std::string key;
    for (std::size_t part = 0; part < group.keys.size(); ++part) key += (part == 0 ? "" : "|") + group.keys[part];
    add(key, group.summary);
  }
  return counts;
}

double MedianMs(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

Status MeasureFeed(tp::store::Store& store, tp::analytics::Engine& engine, const std::string& tenant_id, const Args& args) {
  std::int64_t after = 0;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](tp::store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT last_sequence FROM change_feed_head WHERE id = 1"));
    after = row ? row->Int(0) : 0;
    return Status::Ok();
  }));
  World world(args);
  for (std::int64_t first = 0; first < args.feed; first += 1000) {
    TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      for (std::int64_t index = first; index < std::min<std::int64_t>(args.feed, first + 1000); ++index) {
        const tp::analytics::AddResponse response = world.Response(index);
        TP_RETURN_IF_ERROR(tp::feedback::SubmitFeedback(tx, {.customer_id = response.customer_id, .survey = response.survey,
                                                             .metric = response.metric, .score = response.score,
                                                             .touchpoint = response.touchpoint, .created_at = kEnd - kDay},
                                                        tp::identity::AuditContext::System())
                               .status());
      }
      return Status::Ok();
    }));
  }
  std::vector<tp::store::Change> changes;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](tp::store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(tp::store::Rows rows, tx.Query("SELECT sequence, tenant_id, kind, subject_id, data, committed_at "
                                                       "FROM change_feed WHERE sequence > $1 ORDER BY sequence",
                                                       {after}));
    for (const auto& row : rows) {
      changes.push_back({.sequence = row.Int(0), .tenant_id = row.Text(1), .kind = row.Text(2), .subject_id = row.Text(3),
                         .data = row.Text(4), .committed_at = row.Int(5)});
    }
    return Status::Ok();
  }));
  std::int64_t before = 0;
  (void)engine.Read(tenant_id, [&](const tp::analytics::TenantData& data) -> Status {
    before = static_cast<std::int64_t>(data.rows);
    return Status::Ok();
  });
  const auto started = Clock::now();
  for (std::size_t first = 0; first < changes.size(); first += 256) {
    const std::vector<tp::store::Change> batch(changes.begin() + first,
                                               changes.begin() + std::min(changes.size(), first + 256));
    TP_RETURN_IF_ERROR(tp::analytics_source::ApplyChanges(store, engine, batch));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::int64_t after_rows = 0;
  (void)engine.Read(tenant_id, [&](const tp::analytics::TenantData& data) -> Status {
    after_rows = static_cast<std::int64_t>(data.rows);
    return Status::Ok();
  });
  if (after_rows - before != args.feed) return tp::Internal("the engine gained " + std::to_string(after_rows - before) + " rows");
  std::printf("analytics-feed responses=%lld seconds=%.2f per_second=%.0f\n", static_cast<long long>(args.feed), seconds,
              static_cast<double>(args.feed) / seconds);
  return Status::Ok();
}

int Run(const Args& args) {
  tp::analytics::Engine engine;
  const std::string engine_tenant = "bench";
  std::unique_ptr<tp::store::Store> store;
  std::string tenant_id = engine_tenant;
  std::string backend_name = "none";
  if (!args.engine_only) {
    auto opened = tp::store::OpenStore(args.db);
    if (!opened.ok()) {
      std::fprintf(stderr, "analytics: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    store = std::move(*opened);
    backend_name = store->backend() == tp::store::Backend::kPostgres ? "postgres" : "sqlite";
    auto found = tp::bench::TenantIdBySlug(*store, args.tenant);
    if (!found.ok()) {
      std::fprintf(stderr, "analytics: %s\n", found.status().ToString().c_str());
      return 1;
    }
    tenant_id = *found;
    std::int64_t existing = 0;
    Status counted = store->Read(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM feedback_responses WHERE tenant_id = $1"));
      existing = row ? row->Int(0) : 0;
      return Status::Ok();
    });
    if (!counted.ok()) return 1;
    if (existing == 0) {
      World world(args);
      if (Status seeded = Seed(*store, tenant_id, world, args); !seeded.ok()) {
        std::fprintf(stderr, "analytics: seeding failed: %s\n", seeded.ToString().c_str());
        return 1;
      }
    }
    if (args.seed_only) return 0;
  }
  // The start-up rebuild.
  const auto load_started = Clock::now();
  if (args.engine_only) {
    World world(args);
    auto data = std::make_unique<tp::analytics::TenantData>();
    for (std::int64_t index = 0; index < args.customers; ++index) {
      const Customer& customer = world.customers()[index];
      (void)tp::analytics::ApplyOperation(
          *data, tp::analytics::UpsertCustomer{.customer_id = CustomerId(index),
                                              .traits = {{"segment", kSegments[customer.segment]},
                                                         {"country", kCountries[customer.country]},
                                                         {"plan", kPlans[customer.plan]}}});
    }
    for (std::int64_t index = 0; index < args.responses; ++index) {
      (void)tp::analytics::ApplyOperation(*data, world.Response(index));
    }
    engine.ReplaceTenant(tenant_id, std::move(data));
  } else {
    auto data = tp::analytics_source::LoadTenant(*store, tenant_id);
    if (!data.ok()) {
      std::fprintf(stderr, "analytics: load failed: %s\n", data.status().ToString().c_str());
      return 1;
    }
    engine.ReplaceTenant(tenant_id, std::move(*data));
  }
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_started).count();
  (void)engine.Read(tenant_id, [&](const tp::analytics::TenantData& data) -> Status {
    const auto memory = data.MeasureMemory();
    std::printf("analytics-load source=%s rows=%zu customers=%zu seconds=%.2f bytes_per_response=%.2f "
                "dictionary_bytes=%zu customer_bytes=%zu\n",
                args.engine_only ? "generated" : backend_name.c_str(), memory.rows, data.customers.ids.size(),
                load_seconds, memory.BytesPerResponse(), memory.dictionary_bytes, memory.customer_bytes);
    return Status::Ok();
  });
  std::fflush(stdout);

  bool all_agree = true;
  for (const Question& question : Questions()) {
    auto query = tp::analytics::ParseQuery(nlohmann::json::parse(question.engine), kEnd);
    if (!query.ok()) {
      std::fprintf(stderr, "analytics: %s: %s\n", question.name.c_str(), query.status().ToString().c_str());
      return 1;
    }
    std::vector<double> samples;
    std::optional<tp::analytics::QueryResult> answer;
    for (int run = 0; run < args.repeat + 1; ++run) {
      const auto started = Clock::now();
      auto result = tp::analytics::RunQuery(engine, tenant_id, *query);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      if (!result.ok()) return 1;
      if (run > 0) samples.push_back(ms);  // the first run warms caches
      answer = std::move(*result);
    }
    const bool count_only = query->metric == tp::analytics::QueryMetric::kResponseCount;
    const Counts engine_counts = EngineCounts(*answer, question.nps, count_only);
    std::printf("analytics-result q=%s engine=engine median_ms=%.3f groups=%zu agree=-\n", question.name.c_str(),
                MedianMs(samples), engine_counts.size());
    std::fflush(stdout);
    if (!store) continue;
    std::vector<double> sql_samples;
    Counts sql_counts;
    for (int run = 0; run < args.sql_repeat; ++run) {
      const auto started = Clock::now();
      Status read = store->Read(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
        TP_ASSIGN_OR_RETURN(tp::store::Rows rows, tx.Query(question.sql(tx.backend())));
        sql_counts.clear();
        for (const auto& row : rows) {
          if (row.Int(3) > 0) sql_counts[row.Text(0)] = {row.Int(1), row.Int(2), row.Int(3)};
        }
        return Status::Ok();
      });
      if (!read.ok()) {
        std::fprintf(stderr, "analytics: %s SQL: %s\n", question.name.c_str(), read.ToString().c_str());
        return 1;
      }
      sql_samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    }
    const bool agree = sql_counts == engine_counts;
    all_agree = all_agree && agree;
    std::printf("analytics-result q=%s engine=%s median_ms=%.1f groups=%zu agree=%s\n", question.name.c_str(),
                backend_name.c_str(), MedianMs(sql_samples), sql_counts.size(), agree ? "yes" : "no");
    std::fflush(stdout);
  }
  if (store && args.feed > 0) {
    if (Status followed = MeasureFeed(*store, engine, tenant_id, args); !followed.ok()) {
      std::fprintf(stderr, "analytics: feed: %s\n", followed.ToString().c_str());
      return 1;
    }
  }
  return all_agree ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) { return Run(ParseArgs(argc, argv)); }
