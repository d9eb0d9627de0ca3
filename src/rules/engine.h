// The rules engine: runs the tenant's rules on the change feed and their actions through the job queue.
//
//   feed.SubscribeDurable("rules", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
//     return rules::RunRules(tx, batch, NowMicros());
//   });
//   runner.Handle(std::string(rules::kActionJob), [&](const jobs::Job& job) { return actions.Run(job); });
//
// RunRules is a durable subscriber: for each change of a trigger kind it builds the context (BuildContexts:
// the changed record and the customer's profile), evaluates the tenant's enabled rules of that trigger in
// order and, for each rule that matches, logs an execution and schedules one job per action, all in the
// transaction that moves the subscriber's cursor, so a change is evaluated exactly once.
//
// ActionRunner performs one action in one transaction that also marks it done on the execution, so a
// job that runs twice (a lease taken over) acts once. A failed attempt is recorded on the execution
// (outcome retrying, then failed when the job gives up) and retried by the job queue with backoff.
//
// Loop protection: an action's writes carry {"caused_by": {"rules": [...]}} in their change data
// (TenantTx::SetCause), the chain of rules that led to them. A rule never runs on a change its own action
// caused, directly or through other rules, nor on a change at the end of a chain of kMaxCauseChain rules;
// the execution is logged as loop_stopped instead.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "jobs/jobs.h"
#include "store/store.h"

namespace tp::rules {

inline constexpr std::string_view kActionJob = "rules.action";
inline constexpr std::size_t kMaxCauseChain = 3;
inline constexpr int kActionMaxAttempts = 5;

// The contexts a change gives conditions (docs/rules.md): one for a response or a case, one per event of
// an events.ingested change. Empty when the record is gone (erased, deleted) by the time it is read.
Result<std::vector<nlohmann::json>> BuildContexts(store::TenantTx& tx, const store::Change& change);

// The durable change-feed subscriber.
Status RunRules(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now);

struct ActionOptions {
  // The sender of send_email and send_survey e-mails; empty when the server has no SMTP server, and
  // then those actions fail with a clear error.
  std::string mail_from;
  // How respondents reach this server (serve --public-url): the base of survey links.
  std::string public_url;
};

// The handler of kActionJob.
class ActionRunner {
 public:
  ActionRunner(store::Store& store, ActionOptions options, std::function<Micros()> now = NowMicros);
  jobs::Outcome Run(const jobs::Job& job);

 private:
  store::Store& store_;
  ActionOptions options_;
  std::function<Micros()> now_;
};

}  // namespace tp::rules
