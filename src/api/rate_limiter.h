// Token buckets keyed by caller (a principal id or a client IP). Each process keeps its own buckets,
// so behind N stateless nodes a caller may get up to N times the rate; account lock-out after failed
// logins, which must hold across nodes, lives in the store instead (identity/sessions.h).
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tp::api {

class RateLimiter {
 public:
  // `per_second` tokens are added every second up to `burst`. per_second <= 0 disables the limiter.
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

  // Takes one token for `key`. Returns 0 when allowed, else the whole seconds to wait (≥ 1).
  int Acquire(std::string_view key);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point refilled_at;
  };
  void DropFullBuckets(std::chrono::steady_clock::time_point now);

  const double per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace tp::api
