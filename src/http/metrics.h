// Process metrics in the Prometheus text exposition format (version 0.0.4): request counts by route,
// method and status, request latency histograms by route, and store errors. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace tp::http {

class Metrics {
 public:
  // `route` is the matched pattern (not the raw path) so label values stay few. A method outside the
  // standard ones is counted as "OTHER" for the same reason: clients choose methods.
  void ObserveRequest(std::string_view route, std::string_view method, int status, double seconds);
  void CountStoreError();
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;  // cumulative counts per upper bound in kBuckets
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> request_counts_;
  std::map<std::string, Histogram> latency_by_route_;
  std::atomic<std::uint64_t> store_errors_{0};
};

}  // namespace tp::http
