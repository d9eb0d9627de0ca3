// Filter fragments the feedback and review lists share (store/sql_params.h assembles them).
#pragma once

#include <string_view>

namespace tp::feedback {

inline constexpr std::string_view kAndTouchpointIs = " AND touchpoint = ";
inline constexpr std::string_view kAndCustomerIs = " AND customer_id = ";
inline constexpr std::string_view kOrderByIdLimit = " ORDER BY id LIMIT ";

}  // namespace tp::feedback
