// Instants written as RFC 3339 in the sla module's tests.
#pragma once

#include <stdexcept>
#include <string>

#include "common/clock.h"

namespace tp::sla {

inline Micros At(const std::string& rfc3339) {
  const std::optional<Micros> instant = ParseTimestamp(rfc3339);
  if (!instant) throw std::invalid_argument("bad timestamp in test: " + rfc3339);
  return *instant;
}

}  // namespace tp::sla
