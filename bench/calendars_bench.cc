// Micro-benchmark of business calendars (Google Benchmark): SLA due times and open time between two
// instants on a Prague work week, from random starts over 2026-2027 (so some cross DST changes and
// weekends). The target is one million 8-business-hour due times in at most 5 s on one core.
//
//   cmake --build build/release --target calendars_bench && ./build/release/bench/calendars_bench
#include <benchmark/benchmark.h>

#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendars/calendars.h"

namespace {

using tp::Micros;
using tp::kMicrosPerHour;

tp::calendars::BusinessCalendar PragueCalendar(const char* json_text) {
  auto calendar = tp::calendars::ParseCalendar(nlohmann::json::parse(json_text));
  if (!calendar.ok()) throw std::runtime_error(calendar.status().ToString());
  return std::move(calendar).value();
}

const char* kWorkWeek = R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]],
    "tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]},
    "holidays":["2026-01-01","2026-04-03","2026-04-06","2026-05-01","2026-05-08","2026-07-06","2026-09-28",
    "2026-10-28","2026-11-17","2026-12-24","2026-12-25","2026-12-26","2027-01-01"]})";
const char* kSplitDays = R"({"time_zone":"Europe/Prague","hours":{"mon":[["08:00","12:00"],["13:00","17:00"]],
    "tue":[["08:00","12:00"],["13:00","17:00"]],"wed":[["08:00","12:00"],["13:00","17:00"]],
    "thu":[["08:00","12:00"],["13:00","17:00"]],"fri":[["08:00","12:00"],["13:00","15:00"]],"sat":[["10:00","14:00"]]}})";

std::vector<Micros> RandomStarts() {
  std::mt19937_64 random(42);
  // 2026-01-01T00:00:00Z to 2028-01-01T00:00:00Z.
  std::uniform_int_distribution<Micros> starts(1'767'225'600'000'000, 1'830'297'600'000'000);
  std::vector<Micros> result(1 << 16);
  for (Micros& start : result) start = starts(random);
  return result;
}

void AddBusinessTime(benchmark::State& state, const char* calendar_json, Micros duration) {
  const auto calendar = PragueCalendar(calendar_json);
  const std::vector<Micros> starts = RandomStarts();
  std::size_t start_idx = 0;
  for (auto _ : state) {
    auto due = tp::calendars::AddBusinessTime(calendar, starts[start_idx++ & (starts.size() - 1)], duration);
    benchmark::DoNotOptimize(due);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AddEightBusinessHours(benchmark::State& state) { AddBusinessTime(state, kWorkWeek, 8 * kMicrosPerHour); }
void BM_AddEightBusinessHoursSplitDays(benchmark::State& state) {
  AddBusinessTime(state, kSplitDays, 8 * kMicrosPerHour);
}
void BM_AddTwoHundredBusinessHours(benchmark::State& state) {
  AddBusinessTime(state, kWorkWeek, 200 * kMicrosPerHour);
}

void BM_BusinessTimeBetweenOverAMonth(benchmark::State& state) {
  const auto calendar = PragueCalendar(kWorkWeek);
  const std::vector<Micros> starts = RandomStarts();
  std::size_t start_idx = 0;
  for (auto _ : state) {
    const Micros from = starts[start_idx++ & (starts.size() - 1)];
    benchmark::DoNotOptimize(tp::calendars::BusinessTimeBetween(calendar, from, from + 30 * 24 * kMicrosPerHour));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AddEightBusinessHours);
BENCHMARK(BM_AddEightBusinessHoursSplitDays);
BENCHMARK(BM_AddTwoHundredBusinessHours);
BENCHMARK(BM_BusinessTimeBetweenOverAMonth);

}  // namespace

BENCHMARK_MAIN();
