#include "http/metrics.h"

#include <fmt/format.h>

#include <array>

namespace tp::http {
namespace {

// Upper bounds in seconds, from a cached read (0.5 ms) to a slow report (2.5 s).
constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
constexpr std::array<std::string_view, 12> kBucketLabels = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                                                            "0.05",   "0.1",   "0.25",   "0.5",   "1",    "2.5"};

constexpr std::array<std::string_view, 9> kKnownMethods = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                           "PATCH", "OPTIONS", "TRACE", "CONNECT"};

std::string_view MethodLabel(std::string_view method) {
  for (const std::string_view known : kKnownMethods) {
    if (method == known) return known;
  }
  return "OTHER";
}

// Label values escape backslash, double quote and newline (text format 0.0.4).
std::string EscapeLabel(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace

void Metrics::ObserveRequest(std::string_view route, std::string_view method, int status, double seconds) {
  const std::lock_guard lock(mutex_);
  ++request_counts_[{std::string(route), std::string(MethodLabel(method)), status}];
  Histogram& histogram = latency_by_route_[std::string(route)];
  if (histogram.buckets.empty()) histogram.buckets.resize(kBuckets.size());
  for (std::size_t bucket_index = 0; bucket_index < kBuckets.size(); ++bucket_index) {
    if (seconds <= kBuckets[bucket_index]) ++histogram.buckets[bucket_index];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountStoreError() { store_errors_.fetch_add(1, std::memory_order_relaxed); }

std::string Metrics::Render() const {
  std::string out;
  out += "# HELP touchpoint_http_requests_total HTTP requests answered, by route, method and status.\n";
  out += "# TYPE touchpoint_http_requests_total counter\n";
  const std::lock_guard lock(mutex_);
  for (const auto& [key, count] : request_counts_) {
    const auto& [route, method, status] = key;
    out += fmt::format("touchpoint_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       EscapeLabel(route), method, status, count);
  }
  out += "# HELP touchpoint_http_request_duration_seconds Time from request start to response sent, by route.\n";
  out += "# TYPE touchpoint_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : latency_by_route_) {
    const std::string label = EscapeLabel(route);
    for (std::size_t bucket_index = 0; bucket_index < kBuckets.size(); ++bucket_index) {
      out += fmt::format("touchpoint_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                         kBucketLabels[bucket_index], histogram.buckets[bucket_index]);
    }
    out += fmt::format("touchpoint_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
                       histogram.count);
    out += fmt::format("touchpoint_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label, histogram.sum);
    out += fmt::format("touchpoint_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, histogram.count);
  }
  out += "# HELP touchpoint_store_errors_total Store operations that failed.\n";
  out += "# TYPE touchpoint_store_errors_total counter\n";
  out += fmt::format("touchpoint_store_errors_total {}\n", store_errors_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace tp::http
