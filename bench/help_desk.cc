// The help desk's reads at scale, timed in-process through the functions the API calls: an agent's
// inbox page (cases::ListCases with the "mine" view: their unsolved cases, limited to their team, 50 a
// page), full-text search (cases::SearchCases, 50 results) and opening a case with 200 messages
// (cases::GetCase + cases::ReadConversation, as GET /api/v1/cases/{id}/conversation does).
//
//   help_desk --db URL --tenant SLUG [--cases 1000000] [--messages 5000000] [--agents 200] [--teams 20]
//             [--seconds 10] [--threads 2] [--seed-only]
//
// A tenant without cases is seeded first (then, with --seed-only, it stops: PostgreSQL wants ANALYZE
// before the reads) with bulk INSERTs in the rows' stored shapes (cases, case_messages and
// the full-text index in store::IndexDocument's shape, words folded by profiles::SearchWords and each
// message's with its case's subject, as cases::IndexCaseText indexes them): a fifth of the cases unsolved, each assigned to one of --agents in one of
// --teams, 100 cases with 200 messages each and the other messages spread over the rest; message texts
// draw words from a fixed vocabulary with a Zipf-like skew, so some words are rare and some common.
// Then, for each read, --seconds of calls on --threads threads and one line each:
//   help-desk-result read=inbox|search|open ops=N p50_us=N p90_us=N p99_us=N max_us=N errors=N rows=N
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cases/cases.h"
#include "cases/conversation.h"
#include "cases/search.h"
#include "common/ids.h"
#include "common/status.h"
#include "profiles/text.h"
#include "store/sql_params.h"
#include "store/store.h"
#include "tenant_lookup.h"

namespace {

using Clock = std::chrono::steady_clock;
using tp::Result;
using tp::Status;
using tp::store::Sql;
using tp::store::SqlParams;

struct Args {
  std::string db, tenant = "bench";
  std::int64_t cases = 1'000'000, messages = 5'000'000;
  int agents = 200, teams = 20, seconds = 10, threads = 2;
  bool seed_only = false;
};

constexpr int kLongCases = 100;
constexpr int kLongCaseMessages = 200;
constexpr int kRowsPerStatement = 100;
constexpr int kRowsPerTransaction = 20'000;

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s --db URL [--tenant SLUG] [--cases N] [--messages N] [--agents N] [--teams N] "
               "[--seconds N] [--threads N]\n",
               program);
  std::exit(2);
}

// Czech help-desk words, folded as profiles::SearchWords folds them, plus generated rare ones.
std::vector<std::string> Vocabulary() {
  std::vector<std::string> words = {
      "zasilka", "objednavka", "reklamace", "vraceni", "penez", "faktura", "doprava", "kuryr", "balik",
      "poskozeny", "chybi", "nedorazil", "zpozdeni", "vymena", "velikost", "barva", "platba", "karta",
      "dobropis", "sleva", "kod", "ucet", "heslo", "prihlaseni", "adresa", "telefon", "email", "dekuji",
      "prosim", "dobry", "den", "zdravim", "pozdravem", "stale", "nic", "kdy", "proc", "jak", "uz", "jeste"};
  for (int i = 0; i < 5000; ++i) words.push_back("slovo" + std::to_string(i));
  return words;
}

std::string Text(std::mt19937_64& random, const std::vector<std::string>& words, int count) {
  // Zipf-like: index = n * u^3 favours the first words.
  std::uniform_real_distribution<double> uniform(0, 1);
  std::string text;
  for (int i = 0; i < count; ++i) {
    const double u = uniform(random);
    const auto index = static_cast<std::size_t>(static_cast<double>(words.size() - 1) * u * u * u);
    if (!text.empty()) text += ' ';
    text += words[index];
  }
  return text;
}

std::string AgentId(int agent) { return "usr_bench" + std::to_string(agent); }
std::string TeamId(int team) { return "tea_bench" + std::to_string(team); }

// Rows for one multi-row INSERT.
struct Batch {
  std::string sql;
  SqlParams params;
  int rows = 0;
};

class Seeder {
 public:
  Seeder(tp::store::Store& store, std::string tenant_id, const Args& args)
      : store_(store), tenant_id_(std::move(tenant_id)), args_(args), words_(Vocabulary()) {}

  Status Run() {
    std::mt19937_64 random(42);
    const tp::Micros start = tp::NowMicros() - std::int64_t{400} * 24 * 3600 * 1'000'000;
    std::vector<std::string> case_ids;
    case_ids.reserve(static_cast<std::size_t>(args_.cases));
    for (std::int64_t i = 0; i < args_.cases; ++i) case_ids.push_back(tp::NewId("cas_"));
    std::sort(case_ids.begin(), case_ids.end());
    // Messages are indexed with their case's subject, as cases::IndexCaseText does.
    std::vector<std::string> subjects;
    subjects.reserve(case_ids.size());
    for (std::size_t i = 0; i < case_ids.size(); ++i) subjects.push_back(Text(random, words_, 5));

    const bool sqlite = store_.backend() == tp::store::Backend::kSqlite;
    const char* statuses[] = {"new", "open", "pending", "solved", "closed"};
    std::int64_t done = 0;
    while (done < args_.cases) {
      const std::int64_t end = std::min<std::int64_t>(args_.cases, done + kRowsPerTransaction);
      TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](tp::store::TenantTx& tx) -> Status {
        Batch cases, text;
        for (std::int64_t i = done; i < end; ++i) {
          const std::string& id = case_ids[static_cast<std::size_t>(i)];
          const int agent = static_cast<int>(random() % static_cast<std::uint64_t>(args_.agents));
          const std::string status = random() % 5 == 0 ? statuses[random() % 3] : statuses[3 + random() % 2];
          const tp::Micros at = start + i * 30'000'000;
          const std::string& subject = subjects[static_cast<std::size_t>(i)];
          AddCase(cases, id, "cus_bench" + std::to_string(i % 200'000), subject, status, TeamId(agent % args_.teams),
                  AgentId(agent), at);
          AddText(text, sqlite, id, id, subject);
          TP_RETURN_IF_ERROR(FlushIfFull(tx, cases));
          TP_RETURN_IF_ERROR(FlushIfFull(tx, text));
        }
        TP_RETURN_IF_ERROR(Flush(tx, cases));
        return Flush(tx, text);
      }));
      done = end;
      std::fprintf(stderr, "\rcases %lld/%lld", static_cast<long long>(done), static_cast<long long>(args_.cases));
    }
    std::fprintf(stderr, "\n");

    // Messages: 200 on each long case, the rest spread over the other cases.
    const std::int64_t long_messages = std::int64_t{kLongCases} * kLongCaseMessages;
    const std::int64_t spread = std::max<std::int64_t>(0, args_.messages - long_messages);
    done = 0;
    const std::int64_t total = long_messages + spread;
    while (done < total) {
      const std::int64_t end = std::min<std::int64_t>(total, done + kRowsPerTransaction);
      TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](tp::store::TenantTx& tx) -> Status {
        Batch messages, text;
        for (std::int64_t i = done; i < end; ++i) {
          const std::size_t case_index =
              i < long_messages ? case_ids.size() - kLongCases + static_cast<std::size_t>(i / kLongCaseMessages)
                                : static_cast<std::size_t>(random() % (case_ids.size() - kLongCases));
          const std::string message_id = tp::NewId("msg_");
          const std::string body = Text(random, words_, 30);
          const bool from_customer = i % 2 == 0;
          AddMessage(messages, message_id, case_ids[case_index], "cus_bench" + std::to_string(case_index % 200'000),
                     from_customer, body, start + i * 5'000'000);
          AddText(text, sqlite, case_ids[case_index], message_id, subjects[case_index] + " " + body);
          TP_RETURN_IF_ERROR(FlushIfFull(tx, messages));
          TP_RETURN_IF_ERROR(FlushIfFull(tx, text));
        }
        TP_RETURN_IF_ERROR(Flush(tx, messages));
        return Flush(tx, text);
      }));
      done = end;
      std::fprintf(stderr, "\rmessages %lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
    }
    std::fprintf(stderr, "\n");
    return Status::Ok();
  }

 private:
  // `last_value_wrapper`: a function call opened around the last value, e.g. "to_tsvector('simple', ".
  static void Row(Batch& batch, std::string_view insert, std::initializer_list<tp::store::Value> values,
                  std::string_view last_value_wrapper = {}) {
    batch.sql += batch.rows == 0 ? std::string(insert) : std::string(", ");
    batch.sql += "($1";
    std::size_t index = 0;
    for (const tp::store::Value& value : values) {
      const std::string placeholder = batch.params.Bind(value);
      batch.sql += ", ";
      if (++index == values.size() && !last_value_wrapper.empty()) {
        batch.sql += Sql({last_value_wrapper, placeholder, ")"});
      } else {
        batch.sql += placeholder;
      }
    }
    batch.sql += ")";
    ++batch.rows;
  }

  static void AddCase(Batch& batch, const std::string& id, const std::string& customer_id, const std::string& subject,
                      const std::string& status, const std::string& team_id, const std::string& assignee_id,
                      tp::Micros at) {
    Row(batch,
        "INSERT INTO cases (tenant_id, id, customer_id, subject, status, priority, channel, team_id, assignee_id, "
        "created_at, updated_at) VALUES ",
        {id, customer_id, subject, status, std::string("normal"), std::string("email"), team_id, assignee_id, at, at});
  }

  static void AddMessage(Batch& batch, const std::string& id, const std::string& case_id,
                         const std::string& customer_id, bool from_customer, const std::string& body, tp::Micros at) {
    Row(batch,
        "INSERT INTO case_messages (tenant_id, id, case_id, customer_id, kind, channel, author_type, author_id, body, "
        "body_format, body_text, body_html, created_at) VALUES ",
        {id, case_id, customer_id, std::string(from_customer ? "customer" : "reply"), std::string("email"),
         std::string(from_customer ? "customer" : "user"), std::string(from_customer ? customer_id : "usr_bench0"),
         body, std::string("text"), body, "<p>" + body + "</p>", at});
  }

  // The shape store::IndexDocument writes: (tenant_id, owner_id, document_id, words).
  static void AddText(Batch& batch, bool sqlite, const std::string& owner_id, const std::string& document_id,
                      const std::string& text) {
    std::string words;
    for (const std::string& word : tp::profiles::SearchWords(text)) words += (words.empty() ? "" : " ") + word;
    Row(batch, "INSERT INTO case_text (tenant_id, owner_id, document_id, words) VALUES ",
        {owner_id, document_id, words}, sqlite ? "" : "to_tsvector('simple', ");
  }

  static Status Flush(tp::store::TenantTx& tx, Batch& batch) {
    if (batch.rows == 0) return Status::Ok();
    TP_RETURN_IF_ERROR(tx.Execute(batch.sql, batch.params.values()).status());
    batch = Batch{};
    return Status::Ok();
  }
  static Status FlushIfFull(tp::store::TenantTx& tx, Batch& batch) {
    return batch.rows >= kRowsPerStatement ? Flush(tx, batch) : Status::Ok();
  }

  tp::store::Store& store_;
  std::string tenant_id_;
  const Args& args_;
  std::vector<std::string> words_;
};

std::int64_t Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// Calls `read` (thread index, call number → rows, or an error) for `seconds` on `threads` threads.
void Measure(const char* name, const Args& args, const std::function<Result<std::size_t>(int, std::uint64_t)>& read) {
  std::vector<std::vector<std::int64_t>> latencies(static_cast<std::size_t>(args.threads));
  std::atomic<std::int64_t> errors{0}, rows{0};
  const auto deadline = Clock::now() + std::chrono::seconds(args.seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < args.threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t call = 0; Clock::now() < deadline; ++call) {
        const auto began = Clock::now();
        Result<std::size_t> result = read(t, call);
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - began).count());
        if (!result.ok()) {
          if (errors++ == 0) std::fprintf(stderr, "%s: %s\n", name, result.status().ToString().c_str());
        } else {
          rows += static_cast<std::int64_t>(*result);
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  std::vector<std::int64_t> all;
  for (const auto& one : latencies) all.insert(all.end(), one.begin(), one.end());
  std::sort(all.begin(), all.end());
  std::printf("help-desk-result read=%s ops=%zu p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld errors=%lld rows=%lld\n",
              name, all.size(), static_cast<long long>(Percentile(all, 0.5)),
              static_cast<long long>(Percentile(all, 0.9)), static_cast<long long>(Percentile(all, 0.99)),
              static_cast<long long>(all.empty() ? 0 : all.back()), static_cast<long long>(errors.load()),
              static_cast<long long>(rows.load()));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--seed-only") {
      args.seed_only = true;
      continue;
    }
    if (i + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++i];
    if (flag == "--db") args.db = value;
    else if (flag == "--tenant") args.tenant = value;
    else if (flag == "--cases") args.cases = std::stoll(value);
    else if (flag == "--messages") args.messages = std::stoll(value);
    else if (flag == "--agents") args.agents = std::stoi(value);
    else if (flag == "--teams") args.teams = std::stoi(value);
    else if (flag == "--seconds") args.seconds = std::stoi(value);
    else if (flag == "--threads") args.threads = std::stoi(value);
    else Usage(argv[0]);
  }
  if (args.db.empty() || args.cases < kLongCases * 2 || args.agents < 1 || args.teams < 1) Usage(argv[0]);

  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  tp::store::Store& store = **opened;
  const Result<std::string> tenant_id = tp::bench::TenantIdBySlug(store, args.tenant);
  if (!tenant_id.ok()) {
    std::fprintf(stderr, "%s\n", tenant_id.status().ToString().c_str());
    return 1;
  }

  std::int64_t existing = 0;
  std::vector<std::string> long_case_ids;
  const Status counted = store.Read(*tenant_id, [&](tp::store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM cases WHERE tenant_id = $1"));
    existing = row->Int(0);
    return Status::Ok();
  });
  if (!counted.ok()) {
    std::fprintf(stderr, "%s\n", counted.ToString().c_str());
    return 1;
  }
  if (existing == 0) {
    const auto seeding = Clock::now();
    if (const Status seeded = Seeder(store, *tenant_id, args).Run(); !seeded.ok()) {
      std::fprintf(stderr, "seeding: %s\n", seeded.ToString().c_str());
      return 1;
    }
    std::printf("help-desk-seeded cases=%lld messages=%lld seconds=%lld\n", static_cast<long long>(args.cases),
                static_cast<long long>(args.messages),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - seeding).count()));
  }
  if (args.seed_only) return 0;
  // The cases with the longest conversations: the seeded ones with 200 messages.
  const Status found = store.Read(*tenant_id, [&](tp::store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT case_id FROM case_messages WHERE tenant_id = $1 GROUP BY case_id "
                                            "ORDER BY COUNT(*) DESC LIMIT $2",
                                            {std::int64_t{kLongCases}}));
    for (const tp::store::Row& row : rows) long_case_ids.push_back(row.Text(0));
    return Status::Ok();
  });
  if (!found.ok() || long_case_ids.empty()) {
    std::fprintf(stderr, "no conversations to open: %s\n", found.ToString().c_str());
    return 1;
  }

  Measure("inbox", args, [&](int thread, std::uint64_t call) -> Result<std::size_t> {
    const int agent = static_cast<int>((call * 7919 + static_cast<std::uint64_t>(thread) * 104729) %
                                       static_cast<std::uint64_t>(args.agents));
    std::size_t found = 0;
    TP_RETURN_IF_ERROR(store.Read(*tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto page,
                          tp::cases::ListCases(tx,
                                               {.any_status = tp::cases::UnsolvedStatuses(),
                                                .assignee_id = std::optional(AgentId(agent)),
                                                .only_teams = std::vector{TeamId(agent % args.teams)}},
                                               tp::PageRequest{.limit = 50}));
      found = page.items.size();
      return Status::Ok();
    }));
    return found;
  });

  // A rare word, a common one with a rare one, a prefix as typed, two common words.
  const std::vector<std::string> queries = {"slovo4321", "zasilka slovo1234", "reklam", "objednavka platba"};
  Measure("search", args, [&](int thread, std::uint64_t call) -> Result<std::size_t> {
    const std::string& text = queries[(call + static_cast<std::uint64_t>(thread)) % queries.size()];
    std::size_t found = 0;
    TP_RETURN_IF_ERROR(store.Read(*tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto cases, tp::cases::SearchCases(tx, {.text = text, .limit = 50}));
      found = cases.size();
      return Status::Ok();
    }));
    return found;
  });

  Measure("open", args, [&](int thread, std::uint64_t call) -> Result<std::size_t> {
    const std::string& case_id = long_case_ids[(call * 31 + static_cast<std::uint64_t>(thread)) % long_case_ids.size()];
    std::size_t entries = 0;
    TP_RETURN_IF_ERROR(store.Read(*tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      TP_RETURN_IF_ERROR(tp::cases::GetCase(tx, case_id).status());
      TP_ASSIGN_OR_RETURN(auto timeline, tp::cases::ReadConversation(tx, case_id));
      entries = timeline.size();
      return Status::Ok();
    }));
    return entries;
  });
  return 0;
}
