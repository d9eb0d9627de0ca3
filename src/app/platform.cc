#include "app/platform.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "assignment/assignment.h"
#include "changes/kinds.h"
#include "outbound/webhooks.h"
#include "sla/storage.h"
#include "surveys/invitations.h"

namespace tp::app {
namespace {

// An SQLite database keeps its key beside it (var/touchpoint.db → var/secrets.key); a PostgreSQL
// deployment names a file every node shares (docs/operations.md).
// Without a key (PostgreSQL and no --secrets-key-file) serve runs, but webhooks cannot be created.
std::optional<std::string> SecretsKeyPath(const std::string& db_url, const PlatformFlags& flags) {
  if (!flags.secrets_key_file.empty()) return flags.secrets_key_file;
  if (db_url.starts_with("sqlite:")) {
    const std::filesystem::path database(db_url.substr(7));
    return (database.parent_path() / "secrets.key").string();
  }
  return std::nullopt;
}

Result<outbound::SmtpTls> ParseSmtpTls(const std::string& name) {
  if (name == "required") return outbound::SmtpTls::kRequired;
  if (name == "opportunistic") return outbound::SmtpTls::kOpportunistic;
  if (name == "none") return outbound::SmtpTls::kNone;
  return InvalidArgument("--smtp-tls must be required, opportunistic or none", "smtp_tls");
}

}  // namespace

Result<std::unique_ptr<Platform>> Platform::Create(store::Store& store, const std::string& db_url,
                                                   const PlatformFlags& flags) {
  std::optional<SecretBox> secrets;
  if (const std::optional<std::string> key_path = SecretsKeyPath(db_url, flags)) {
    // Created on first start only beside an SQLite database; a key shared by nodes is the operator's to make.
    TP_ASSIGN_OR_RETURN(secrets, SecretBox::FromKeyFile(*key_path, flags.secrets_key_file.empty()));
  } else {
    spdlog::warn("no --secrets-key-file: webhooks cannot be created until one is configured");
  }
  TP_ASSIGN_OR_RETURN(outbound::AddressPolicy policy, outbound::AddressPolicy::Allowing(flags.allow_outbound));
  std::optional<outbound::SmtpOptions> smtp_options;
  if (!flags.smtp_url.empty()) {
    TP_ASSIGN_OR_RETURN(const outbound::SmtpTls tls, ParseSmtpTls(flags.smtp_tls));
    outbound::SmtpOptions smtp{
        .url = flags.smtp_url, .username = flags.smtp_user, .tls = tls, .ca_file = flags.outbound_ca_file};
    if (!flags.smtp_password_file.empty()) {
      std::ifstream in(flags.smtp_password_file);
      if (!in) return Unavailable("cannot read --smtp-password-file " + flags.smtp_password_file);
      std::getline(in, smtp.password);
    }
    if (flags.mail_from.empty()) return InvalidArgument("--mail-from is required with --smtp-url", "mail_from");
    smtp_options = std::move(smtp);
  }
  return std::unique_ptr<Platform>(new Platform(store, std::move(secrets), policy, std::move(smtp_options), flags));
}

Platform::Platform(store::Store& store, std::optional<SecretBox> secrets, const outbound::AddressPolicy& policy,
                   std::optional<outbound::SmtpOptions> smtp, const PlatformFlags& flags)
    : store_(store),
      secrets_(std::move(secrets)),
      mail_from_(flags.mail_from),
      http_(policy, outbound::HttpClientOptions{.ca_file = flags.outbound_ca_file}),
      smtp_(smtp ? std::optional<outbound::SmtpSender>(std::in_place, policy, std::move(*smtp)) : std::nullopt),
      feed_(store),
      analytics_follower_(store, analytics_),
      runner_(store, jobs::RunnerOptions{.workers = flags.job_workers,
                                         .lease = std::chrono::seconds(flags.job_lease_seconds),
                                         .backoff_base = std::chrono::milliseconds(flags.job_retry_base_ms)}),
      deliverer_(store, http_, smtp_ ? &*smtp_ : nullptr, secrets_ ? &*secrets_ : nullptr),
      rule_actions_(store, rules::ActionOptions{.mail_from = flags.smtp_url.empty() ? "" : flags.mail_from,
                                                .public_url = flags.public_url}) {}

Platform::~Platform() { Stop(); }

Status Platform::Start() {
  outbound::InitCurl();
  runner_.Handle(std::string(outbound::kDeliverJob), [this](const jobs::Job& job) { return deliverer_.Run(job); });
  for (std::string_view kind : {surveys::kInvitationJob, surveys::kReminderJob}) {
    runner_.Handle(std::string(kind),
                   [this](const jobs::Job& job) { return surveys::SendScheduledMail(store_, job, NowMicros()); });
  }
  feed_.SubscribeDurable("webhooks", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return outbound::FanOut(tx, batch, NowMicros());
  });
  runner_.Handle(std::string(rules::kActionJob), [this](const jobs::Job& job) { return rule_actions_.Run(job); });
  feed_.SubscribeDurable("rules", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return rules::RunRules(tx, batch, NowMicros());
  });
  // Auto-assignment: queues are offered to online agents as cases and availability change.
  feed_.SubscribeDurable("assignment", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return assignment::HandleChanges(tx, batch, NowMicros());
  });
  // SLA: each case's targets follow its changes; breach checks and recomputes run as jobs.
  feed_.SubscribeDurable("sla", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return sla::HandleChanges(tx, batch, NowMicros());
  });
  runner_.Handle(std::string(sla::kCheckJob),
                 [this](const jobs::Job& job) { return sla::RunCheckJob(store_, job, NowMicros()); });
  runner_.Handle(std::string(sla::kRecomputeJob),
                 [this](const jobs::Job& job) { return sla::RunRecomputeJob(store_, job, NowMicros()); });
  // Jobs scheduled by any process wake this one's workers at once instead of at their next poll.
  feed_.SubscribeTransient("job-wake-up", [this](const std::vector<store::Change>& batch) {
    for (const store::Change& change : batch) {
      if (change.kind == changes::kinds::kJobScheduled) {
        runner_.Wake();
        break;
      }
    }
    return Status::Ok();
  });
  // This process's own revocations apply before the request that made them is answered; other
  // processes' within milliseconds (LISTEN/NOTIFY).
  feed_.ObserveLocalCommits([this](const std::vector<store::Change>& batch) { credentials_.Apply(batch); });
  feed_.SubscribeTransient("credential-cache", [this](const std::vector<store::Change>& batch) {
    credentials_.Apply(batch);
    return Status::Ok();
  });
  // The analytics engine holds back what the feed delivers while it loads every tenant, then follows.
  analytics_follower_.Subscribe(feed_);
  TP_RETURN_IF_ERROR(feed_.Start());
  // Loading 10 M responses takes seconds: serve meanwhile (queries answer 503 until it is done).
  analytics_loader_ = std::thread([this] {
    if (Status loaded = analytics_follower_.CatchUp(feed_); !loaded.ok()) {
      spdlog::error("analytics: loading failed, queries stay unavailable: {}", loaded.ToString());
    }
  });
  runner_.Start();
  started_ = true;
  return Status::Ok();
}

void Platform::Stop() {
  if (!started_) return;
  started_ = false;
  runner_.Stop();
  if (analytics_loader_.joinable()) analytics_loader_.join();
  feed_.Stop();
}

}  // namespace tp::app
