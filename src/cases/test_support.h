// Who acts in the cases module's tests.
#pragma once

#include "identity/audit.h"

namespace tp::cases {

inline const identity::AuditContext kSystemActor = identity::AuditContext::System();
inline const identity::AuditContext kAgentActor{.actor_type = "user", .actor_id = "usr_agent"};

}  // namespace tp::cases
