// Seeds a tenant with many customers and events quickly, straight into the store (no HTTP, no
// ingestion pipeline): multi-row INSERTs in big transactions through store::Store, so the same program
// fills SQLite and PostgreSQL. The rows match migration 5 (src/store/migrations.cc) and what ingestion
// would have written: customers with their computed attributes (first/last seen, channels, orders,
// revenue, refunds) and trait times, three identifiers per customer (user_id, e-mail, anonymous_id)
// and events spread over the last year.
//
//   seed_customers --db sqlite:PATH|postgresql://... --tenant SLUG --customers 1000000 --events 20000000
//                  [--ids-out FILE] [--sample 20000] [--chunk 5000] [--seed 1]
//
// The tenant must exist (`touchpoint tenant add`). Customers are created in id order (ids carry their
// creation time, as NewId's do) and each customer's events right after it, so three of the events
// table's four indexes grow at their end; event ids are time-ordered by occurred_at like real ones.
// Message ids are "seed-<customer>-<n>" (unique, ascending). Events per customer follow an exponential
// distribution with the requested mean (many customers with a few events, a few with hundreds).
// Not written: customer search terms (customer search is not measured here), cases, feedback, notes.
// --ids-out writes a random sample of customer ids, one per line, for the read benchmarks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"
#include "tenant_lookup.h"

namespace {

using tp::Micros;
using tp::Status;
using tp::store::Value;

constexpr Micros kDay = 24LL * 3600 * 1'000'000;
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// A ULID-shaped id as tp::NewId makes it: 48 bits of milliseconds, then 80 random bits.
std::string TimeId(std::string_view prefix, Micros at, std::mt19937_64& random) {
  const std::uint64_t high = (static_cast<std::uint64_t>(at / 1000) << 16) | (random() & 0x7FFF);  // 48 + 16 bits
  const std::uint64_t low = random();                                                             // 64 bits
  std::string id(prefix);
  // 128 bits as 26 digits, the first carrying the top 3 bits.
  for (int digit = 0; digit < 26; ++digit) {
    const int low_bit = 5 * (25 - digit);
    unsigned value = 0;
    for (int bit = 4; bit >= 0; --bit) {
      const int index = low_bit + bit;
      if (index >= 128) continue;
      const std::uint64_t word = index >= 64 ? high : low;
      value = (value << 1) | static_cast<unsigned>((word >> (index % 64)) & 1u);
    }
    id += kCrockford[value];
  }
  return id;
}

std::string Uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  const std::uint64_t bits[2] = {random(), random()};
  int nibble = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    text[static_cast<std::size_t>(i)] = kHex[(bits[nibble / 16] >> (4 * (nibble % 16))) & 15];
    ++nibble;
  }
  return text;
}

constexpr const char* kFirstNames[] = {"Jana", "Petr", "Eva", "Tomáš", "Lucie", "Martin", "Anna", "Jakub", "Tereza",
                                       "David", "Maria", "John", "Sofia", "Lukas", "Emma", "Noah", "Olga", "Ivan"};
constexpr const char* kLastNames[] = {"Novák", "Svoboda", "Dvořák", "Černá", "Procházka", "Kučera", "Smith", "Müller",
                                      "Garcia", "Rossi", "Kowalski", "Jensen", "Horváth", "Silva", "Brown", "Nagy"};
constexpr const char* kDomains[] = {"gmail.com", "seznam.cz", "example.com", "outlook.com", "firma.cz", "post.cz"};
constexpr const char* kPlans[] = {"free", "starter", "pro", "business"};
constexpr const char* kCities[] = {"Praha", "Brno", "Ostrava", "Berlin", "Wien", "Bratislava", "London", "Plzeň"};
constexpr const char* kCategories[] = {"shoes", "shirts", "bags", "watches", "books", "garden", "kitchen", "toys"};
constexpr const char* kPages[] = {"/", "/products", "/cart", "/checkout", "/account", "/help", "/blog", "/pricing"};

template <typename T, std::size_t N>
const T& Pick(const T (&items)[N], std::mt19937_64& random) {
  return items[random() % N];
}

struct Args {
  std::string db;
  std::string tenant = "bench";
  std::int64_t customers = 1'000'000;
  std::int64_t events = 20'000'000;
  std::string ids_out;
  std::int64_t sample = 20'000;
  std::int64_t chunk = 5'000;  // customers per transaction
  std::uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s --db URL [--tenant SLUG] [--customers N] [--events N] [--ids-out FILE] [--sample N] "
               "[--chunk N] [--seed N]\n",
               program);
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++i];
    if (flag == "--db") args.db = value;
    else if (flag == "--tenant") args.tenant = value;
    else if (flag == "--customers") args.customers = std::stoll(value);
    else if (flag == "--events") args.events = std::stoll(value);
    else if (flag == "--ids-out") args.ids_out = value;
    else if (flag == "--sample") args.sample = std::stoll(value);
    else if (flag == "--chunk") args.chunk = std::stoll(value);
    else if (flag == "--seed") args.seed = std::stoull(value);
    else Usage(argv[0]);
  }
  if (args.db.empty() || args.customers < 1 || args.events < 0 || args.chunk < 1) Usage(argv[0]);
  return args;
}

// Appends "($1, $k, $k+1, ...)" for one row of `columns` parameters after the tenant.
void AppendRow(std::string& sql, int& next_param, int columns) {
  sql += sql.back() == ' ' ? "($1" : ", ($1";
  for (int c = 0; c < columns; ++c) {
    sql += ", $";
    sql += std::to_string(next_param++);
  }
  sql += ')';
}

// Multi-row INSERT: rows are buffered and sent `per_statement` at a time, one statement text per size.
class BulkInsert {
 public:
  BulkInsert(std::string head, int columns, int per_statement)
      : head_(std::move(head)), columns_(columns), per_statement_(per_statement) {}

  void Add(std::vector<Value> row) {
    for (Value& value : row) params_.push_back(std::move(value));
    ++rows_;
  }
  std::size_t rows() const { return rows_; }

  Status Flush(tp::store::TenantTx& tx) {
    std::size_t done = 0;
    while (done < rows_) {
      const std::size_t count = std::min<std::size_t>(per_statement_, rows_ - done);
      const std::string& sql = Statement(count);
      std::vector<Value> params(std::make_move_iterator(params_.begin() + static_cast<std::ptrdiff_t>(done * columns_)),
                                std::make_move_iterator(params_.begin() +
                                                        static_cast<std::ptrdiff_t>((done + count) * columns_)));
      TP_ASSIGN_OR_RETURN(std::int64_t changed, tx.Execute(sql, params));
      (void)changed;
      done += count;
    }
    params_.clear();
    rows_ = 0;
    return Status::Ok();
  }

 private:
  const std::string& Statement(std::size_t count) {
    if (count == static_cast<std::size_t>(per_statement_) && !full_.empty()) return full_;
    std::string sql = head_ + " VALUES ";
    int next = 2;
    for (std::size_t r = 0; r < count; ++r) AppendRow(sql, next, columns_);
    if (count == static_cast<std::size_t>(per_statement_)) {
      full_ = std::move(sql);
      return full_;
    }
    partial_ = std::move(sql);
    return partial_;
  }

  std::string head_;
  int columns_;
  int per_statement_;
  std::vector<Value> params_;
  std::size_t rows_ = 0;
  std::string full_, partial_;
};

struct Totals {
  std::int64_t customers = 0, identifiers = 0, events = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "seed: cannot open %s: %s\n", args.db.c_str(), opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<tp::store::Store> store = std::move(opened).value();
  if (Status migrated = store->Migrate(); !migrated.ok()) {
    std::fprintf(stderr, "seed: migrate: %s\n", migrated.ToString().c_str());
    return 1;
  }
  const tp::Result<std::string> tenant = tp::bench::TenantIdBySlug(*store, args.tenant);
  if (!tenant.ok()) {
    std::fprintf(stderr, "seed: %s\n", tenant.status().ToString().c_str());
    return 1;
  }
  const std::string& tenant_id = *tenant;
  if (store->backend() == tp::store::Backend::kSqlite) {
    // The writer connection keeps this for its life: 4 GiB of page cache, so that the randomly ordered
    // event-id index stays in memory while it grows.
    Status pragma = store->WriteSystem([](tp::store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto rows, tx.Query("PRAGMA cache_size = -4000000"));
      (void)rows;
      return Status::Ok();
    });
    if (!pragma.ok()) std::fprintf(stderr, "seed: warning: cache_size: %s\n", pragma.ToString().c_str());
  }

  std::mt19937_64 random(args.seed);
  const Micros now = tp::NowMicros();
  const Micros year_ago = now - 365 * kDay;

  // Events per customer: exponential with the requested mean, then nudged to the exact total.
  std::vector<std::int32_t> counts(static_cast<std::size_t>(args.customers));
  {
    const double mean = static_cast<double>(args.events) / static_cast<double>(args.customers);
    std::exponential_distribution<double> exponential(mean > 0 ? 1.0 / mean : 1.0);
    std::int64_t total = 0;
    for (auto& count : counts) {
      count = mean > 0 ? static_cast<std::int32_t>(std::min(50'000.0, std::floor(exponential(random) + 0.5))) : 0;
      total += count;
    }
    while (total < args.events) {
      ++counts[random() % counts.size()];
      ++total;
    }
    while (total > args.events) {
      auto& count = counts[random() % counts.size()];
      if (count > 0) {
        --count;
        --total;
      }
    }
  }
  // Customers become customers over the year, in id order.
  std::vector<Micros> created(counts.size());
  for (auto& at : created) at = year_ago + static_cast<Micros>(random() % static_cast<std::uint64_t>(360 * kDay));
  std::sort(created.begin(), created.end());

  BulkInsert customers(
      "INSERT INTO customers (tenant_id, id, name, email, phone, traits, trait_times, created_at, updated_at, "
      "first_seen_at, last_seen_at, channels, orders_count, revenue, refunds_count, refunded)",
      15, 500);
  BulkInsert identifiers(
      "INSERT INTO customer_identifiers (tenant_id, kind, value, customer_id, created_at)", 4, 1000);
  BulkInsert events(
      "INSERT INTO events (tenant_id, id, message_id, customer_id, type, name, user_id, anonymous_id, channel, amount, "
      "properties, context, occurred_at, received_at)",
      13, 1000);

  std::vector<std::string> sample;
  const double sample_rate = std::min(1.0, static_cast<double>(args.sample) / static_cast<double>(args.customers));
  std::uniform_real_distribution<double> unit(0, 1);
  Totals totals;
  const auto started = std::chrono::steady_clock::now();
  std::vector<Micros> times;
  for (std::int64_t first = 0; first < args.customers; first += args.chunk) {
    const std::int64_t last = std::min(args.customers, first + args.chunk);
    for (std::int64_t c = first; c < last; ++c) {
      const std::size_t index = static_cast<std::size_t>(c);
      const Micros since = created[index];
      const std::string id = TimeId("cus_", since, random);
      if (unit(random) < sample_rate) sample.push_back(id);
      const std::string first_name = Pick(kFirstNames, random), last_name = Pick(kLastNames, random);
      char buffer[160];
      std::snprintf(buffer, sizeof buffer, "customer%lld.%u@%s", static_cast<long long>(c),
                    static_cast<unsigned>(random() % 100), Pick(kDomains, random));
      const std::string email = buffer;
      std::snprintf(buffer, sizeof buffer, "+420%09llu", static_cast<unsigned long long>(600'000'000 + random() % 399'999'999));
      const std::string phone = buffer;
      std::snprintf(buffer, sizeof buffer, "u%08lld", static_cast<long long>(c));
      const std::string user_id = buffer;
      const std::string anonymous_id = Uuid(random);
      const std::string plan = Pick(kPlans, random), city = Pick(kCities, random);
      const std::string traits = "{\"plan\":\"" + plan + "\",\"city\":\"" + city + "\",\"newsletter\":" +
                                 (random() % 2 ? "true" : "false") + "}";
      const std::string at = std::to_string(since);
      const std::string trait_times = "{\"plan\":" + at + ",\"city\":" + at + ",\"newsletter\":" + at + "}";

      // This customer's events, oldest first; the first is the identify that created the profile.
      const int count = counts[index];
      times.resize(static_cast<std::size_t>(count));
      for (auto& time : times) time = since + static_cast<Micros>(random() % static_cast<std::uint64_t>(now - since));
      if (!times.empty()) times.front() = since;
      std::sort(times.begin(), times.end());
      bool web = false, mobile = false, server = false;
      std::int64_t orders = 0, refunds = 0;
      double revenue = 0, refunded = 0;
      for (int e = 0; e < count; ++e) {
        const Micros occurred = times[static_cast<std::size_t>(e)];
        const unsigned roll = static_cast<unsigned>(random() % 100);
        std::string type, name, properties;
        Value amount = tp::store::kNull;
        std::string channel = roll < 70 ? "web" : roll < 95 ? "mobile" : "server";
        if (e == 0 || roll % 17 == 0) {
          type = "identify";
          properties = "{\"email\":\"" + email + "\",\"name\":\"" + first_name + " " + last_name + "\",\"plan\":\"" +
                       plan + "\"}";
        } else if (roll < 40) {
          type = "page";
          const char* path = Pick(kPages, random);
          name = path;
          properties = std::string("{\"path\":\"") + path + "\",\"url\":\"https://shop.example.com" + path +
                       "\",\"referrer\":\"https://www.google.com/\",\"title\":\"Shop\"}";
        } else {
          type = "track";
          const unsigned what = static_cast<unsigned>(random() % 100);
          const unsigned product = static_cast<unsigned>(random() % 5000);
          const double price = static_cast<double>(500 + random() % 20000) / 100.0;
          std::snprintf(buffer, sizeof buffer, "%.2f", price);
          if (what < 8) {
            name = "Order Completed";
            channel = "server";
            amount = price * 2;
            ++orders;
            revenue += price * 2;
            properties = "{\"order_id\":\"o" + std::to_string(random() % 100'000'000) + "\",\"total\":" +
                         std::to_string(price * 2) + ",\"currency\":\"EUR\",\"products\":[{\"product_id\":\"p" +
                         std::to_string(product) + "\",\"quantity\":2,\"price\":" + buffer + "}]}";
          } else if (what < 10) {
            name = "Order Refunded";
            channel = "server";
            amount = price;
            ++refunds;
            refunded += price;
            properties = "{\"order_id\":\"o" + std::to_string(random() % 100'000'000) + "\",\"total\":" + buffer +
                         ",\"currency\":\"EUR\"}";
          } else {
            name = what < 60 ? "Product Viewed" : what < 80 ? "Product Added" : what < 90 ? "Checkout Started"
                                                                                          : "Signed In";
            properties = "{\"product_id\":\"p" + std::to_string(product) + "\",\"category\":\"" +
                         Pick(kCategories, random) + "\",\"price\":" + buffer + ",\"currency\":\"EUR\"}";
          }
        }
        (channel == "web" ? web : channel == "mobile" ? mobile : server) = true;
        std::string context = channel == "web"
                                  ? std::string("{\"library\":{\"name\":\"analytics.js\",\"version\":\"2.11.1\"}}")
                                  : std::string("{}");
        std::snprintf(buffer, sizeof buffer, "seed-%08llx-%05x", static_cast<unsigned long long>(c),
                      static_cast<unsigned>(e));
        events.Add({TimeId("evt_", occurred, random), std::string(buffer), id, std::move(type), std::move(name),
                    user_id, anonymous_id, std::move(channel), std::move(amount), std::move(properties),
                    std::move(context), occurred, occurred + 150'000});
      }
      std::string channels;
      if (mobile) channels += "mobile";
      if (server) channels += channels.empty() ? "server" : ",server";
      if (web) channels += channels.empty() ? "web" : ",web";
      const Micros last_seen = times.empty() ? since : times.back();
      customers.Add({id, first_name + " " + last_name, email, phone, traits, trait_times, since, last_seen, since,
                     last_seen, channels, orders, revenue, refunds, refunded});
      identifiers.Add({std::string("user_id"), user_id, id, since});
      identifiers.Add({std::string("email"), email, id, since});
      identifiers.Add({std::string("anonymous_id"), anonymous_id, id, since});
      totals.customers += 1;
      totals.identifiers += 3;
      totals.events += count;
    }
    Status written = store->Write(tenant_id, [&](tp::store::TenantTx& tx) -> Status {
      TP_RETURN_IF_ERROR(customers.Flush(tx));
      TP_RETURN_IF_ERROR(identifiers.Flush(tx));
      return events.Flush(tx);
    });
    if (!written.ok()) {
      std::fprintf(stderr, "seed: write: %s\n", written.ToString().c_str());
      return 1;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if ((last / args.chunk) % 20 == 0 || last == args.customers) {
      std::fprintf(stderr, "seed: %lld customers, %lld events in %.0f s (%.0f events/s)\n",
                   static_cast<long long>(totals.customers), static_cast<long long>(totals.events), elapsed,
                   static_cast<double>(totals.events) / elapsed);
    }
  }
  store->Close();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!args.ids_out.empty()) {
    std::shuffle(sample.begin(), sample.end(), random);
    std::ofstream out(args.ids_out);
    for (const auto& id : sample) out << id << '\n';
  }
  std::printf("seed-result customers=%lld identifiers=%lld events=%lld seconds=%.1f\n",
              static_cast<long long>(totals.customers), static_cast<long long>(totals.identifiers),
              static_cast<long long>(totals.events), elapsed);
  return 0;
}
