#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tp::api {
namespace {
constexpr size_t kSweepThreshold = 100'000;
}

int RateLimiter::Acquire(std::string_view key) {
  if (per_second_ <= 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > kSweepThreshold) DropFullBuckets(now);
  auto [it, inserted] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.refilled_at).count();
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
  bucket.refilled_at = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - bucket.tokens) / per_second_)));
}

// Bounds memory under a flood of distinct keys: a bucket that has refilled is the same as no bucket.
void RateLimiter::DropFullBuckets(std::chrono::steady_clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed = std::chrono::duration<double>(now - entry.second.refilled_at).count();
    return entry.second.tokens + elapsed * per_second_ >= burst_;
  });
}

}  // namespace tp::api
