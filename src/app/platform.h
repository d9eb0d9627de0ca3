// What `serve` runs beside the HTTP server: the change feed with its subscribers, the job runner and
// outbound delivery (HTTP and SMTP clients). Built from the serve flags; Start() before serving,
// Stop() after the server stopped and before the store closes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <thread>

#include "analytics/engine.h"
#include "analytics_source/source.h"
#include "changes/feed.h"
#include "common/crypto.h"
#include "identity/credential_cache.h"
#include "jobs/jobs.h"
#include "outbound/deliveries.h"
#include "outbound/http_client.h"
#include "outbound/mail.h"
#include "rules/engine.h"
#include "store/store.h"

namespace tp::app {

struct PlatformFlags {
  std::string secrets_key_file;  // default: beside an SQLite database, else required
  std::vector<std::string> allow_outbound;
  std::string smtp_url;
  std::string smtp_user;
  std::string smtp_password_file;
  std::string smtp_tls = "required";
  std::string mail_from;
  std::string public_url;  // how respondents reach this server: the base of survey links rules send
  std::string outbound_ca_file;
  int job_workers = 2;
  int job_lease_seconds = 300;
  int job_retry_base_ms = 10'000;
};

class Platform {
 public:
  static Result<std::unique_ptr<Platform>> Create(store::Store& store, const std::string& db_url,
                                                  const PlatformFlags& flags);
  ~Platform();

  Status Start();
  void Stop();

  const SecretBox* secrets() const { return secrets_ ? &*secrets_ : nullptr; }
  identity::CredentialCache& credentials() { return credentials_; }
  // Loaded in the background after Start() (progress in the log), then kept current from the feed.
  const analytics::Engine& analytics() const { return analytics_; }
  const std::string& mail_from() const { return mail_from_; }

 private:
  Platform(store::Store& store, std::optional<SecretBox> secrets, const outbound::AddressPolicy& policy,
           std::optional<outbound::SmtpOptions> smtp, const PlatformFlags& flags);

  store::Store& store_;
  std::optional<SecretBox> secrets_;
  identity::CredentialCache credentials_;
  std::string mail_from_;
  outbound::HttpClient http_;
  std::optional<outbound::SmtpSender> smtp_;
  changes::Feed feed_;
  analytics::Engine analytics_;
  analytics_source::Follower analytics_follower_;
  std::thread analytics_loader_;
  jobs::Runner runner_;
  outbound::Deliverer deliverer_;
  rules::ActionRunner rule_actions_;
  bool started_ = false;
};

}  // namespace tp::app
