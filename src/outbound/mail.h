// Outgoing e-mail: an RFC 5322 message rendered by GMime (UTF-8 headers as RFC 2047 encoded words, the
// body in quoted-printable or base64 as its text needs) and sent over SMTP by libcurl, with STARTTLS
// and authentication. The SMTP host is a user-configurable destination, so its address passes the
// same AddressPolicy as webhooks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "outbound/address_policy.h"

namespace tp::outbound {

struct Mailbox {
  std::string name;     // display name, may be empty; any UTF-8
  std::string address;  // addr-spec, e.g. "jana@example.cz"
};

struct MailMessage {
  Mailbox from;
  std::vector<Mailbox> to;
  std::string subject;
  std::string text;        // text/plain body, UTF-8
  std::string message_id;  // without angle brackets; generated when empty
  // Threading (RFC 5322 §3.6.4): the message this one answers and the thread's earlier ids.
  std::optional<std::string> in_reply_to;
  std::vector<std::string> references;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Auto-Submitted
};

// kInvalidArgument naming the field for an address that is not a plain addr-spec, no recipient, a
// header name or value with line breaks.
Status CheckMailMessage(const MailMessage& message);
// The message as sent, with Date and MIME-Version; the message id is filled in when empty.
std::string RenderMessage(MailMessage& message, Micros date);

enum class SmtpTls { kRequired, kOpportunistic, kNone };

struct SmtpOptions {
  std::string url;  // smtp://host[:port] (STARTTLS per `tls`) or smtps://host[:port] (TLS from the start)
  std::string username;
  std::string password;
  SmtpTls tls = SmtpTls::kRequired;
  std::chrono::milliseconds timeout{30000};
  std::string domain = "touchpoint.local";  // right-hand side of generated Message-IDs
  std::string ca_file;  // PEM bundle trusted instead of the system's CA store
};

class SmtpSender {
 public:
  SmtpSender(AddressPolicy policy, SmtpOptions options);
  // kPermissionDenied for a refused address, kUnavailable for a failure worth retrying (connection,
  // 4xx), kInvalidArgument when the server refused the message or a recipient for good (5xx).
  Status Send(MailMessage& message) const;
  const SmtpOptions& options() const { return options_; }

 private:
  AddressPolicy policy_;
  SmtpOptions options_;
};

}  // namespace tp::outbound
