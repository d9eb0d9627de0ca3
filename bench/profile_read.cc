// The store-level cost of opening a customer: profiles::GetCustomer followed by the first timeline page
// (timeline::CustomerTimeline, limit 20, every kind), in one read transaction, as the API's customer
// page does, timed in-process without HTTP. Random customers from an id file (seed_customers --ids-out).
//
//   profile_read --db URL --tenant SLUG --ids FILE [--threads 2] [--seconds 10] [--warmup 2] [--limit 20]
//
// Prints one machine-readable line:
//   read-result ops=N duration_us=N p50_us=N p90_us=N p99_us=N max_us=N errors=N entries=N
// (entries: timeline entries returned, summed, to show the pages were not empty).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/pagination.h"
#include "common/status.h"
#include "profiles/customers.h"
#include "store/store.h"
#include "tenant_lookup.h"
#include "timeline/timeline.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string db, tenant = "bench", ids;
  int threads = 2, seconds = 10, warmup = 2, limit = 20;
};

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr, "usage: %s --db URL --ids FILE [--tenant SLUG] [--threads N] [--seconds N] [--warmup N] [--limit N]\n",
               program);
  std::exit(2);
}

std::int64_t Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++i];
    if (flag == "--db") args.db = value;
    else if (flag == "--tenant") args.tenant = value;
    else if (flag == "--ids") args.ids = value;
    else if (flag == "--threads") args.threads = std::stoi(value);
    else if (flag == "--seconds") args.seconds = std::stoi(value);
    else if (flag == "--warmup") args.warmup = std::stoi(value);
    else if (flag == "--limit") args.limit = std::stoi(value);
    else Usage(argv[0]);
  }
  if (args.db.empty() || args.ids.empty() || args.threads < 1 || args.seconds < 1) Usage(argv[0]);
  std::vector<std::string> ids;
  {
    std::ifstream in(args.ids);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
  }
  if (ids.empty()) {
    std::fprintf(stderr, "profile_read: no ids in %s\n", args.ids.c_str());
    return 1;
  }
  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "profile_read: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto store = std::move(opened).value();
  const tp::Result<std::string> tenant = tp::bench::TenantIdBySlug(*store, args.tenant);
  if (!tenant.ok()) {
    std::fprintf(stderr, "profile_read: %s\n", tenant.status().ToString().c_str());
    return 1;
  }
  const std::string& tenant_id = *tenant;

  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::seconds(args.warmup);
  const auto measure_until = measure_from + std::chrono::seconds(args.seconds);
  std::vector<std::vector<std::int64_t>> latencies(static_cast<std::size_t>(args.threads));
  std::atomic<std::int64_t> errors{0}, entries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<std::uint64_t>(t) + 1);
      auto& mine = latencies[static_cast<std::size_t>(t)];
      for (;;) {
        const auto begin = Clock::now();
        if (begin >= measure_until) break;
        const std::string& id = ids[random() % ids.size()];
        std::size_t got = 0;
        tp::Status status = store->Read(tenant_id, [&](tp::store::TenantTx& tx) -> tp::Status {
          TP_ASSIGN_OR_RETURN(auto customer, tp::profiles::GetCustomer(tx, id));
          (void)customer;
          tp::PageRequest page;
          page.limit = args.limit;
          TP_ASSIGN_OR_RETURN(auto timeline, tp::timeline::CustomerTimeline(tx, {.customer_id = id}, page));
          got = timeline.items.size();
          return tp::Status::Ok();
        });
        const auto end = Clock::now();
        if (begin < measure_from) continue;
        if (!status.ok()) {
          if (errors.fetch_add(1) == 0) std::fprintf(stderr, "profile_read: %s\n", status.ToString().c_str());
        }
        entries += static_cast<std::int64_t>(got);
        mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<std::int64_t> all;
  for (const auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  store->Close();
  std::printf("read-result ops=%zu duration_us=%lld p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld errors=%lld "
              "entries=%lld\n",
              all.size(), static_cast<long long>(args.seconds) * 1'000'000, static_cast<long long>(Percentile(all, 0.5)),
              static_cast<long long>(Percentile(all, 0.9)), static_cast<long long>(Percentile(all, 0.99)),
              static_cast<long long>(all.empty() ? 0 : all.back()), static_cast<long long>(errors.load()),
              static_cast<long long>(entries.load()));
  return 0;
}
