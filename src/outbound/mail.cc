#include "outbound/mail.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "common/crypto.h"
#include "outbound/curl_handle.h"

namespace tp::outbound {
namespace {

struct ObjectUnref {
  void operator()(void* object) const { g_object_unref(object); }
};

void InitGmime() {
  static std::once_flag initialised;
  std::call_once(initialised, [] { g_mime_init(); });
}

bool HasLineBreak(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

// A plain addr-spec: local@domain without spaces, brackets, quotes or line breaks.
bool IsAddress(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() || address.size() > 254) return false;
  return address.find_first_of(" \t\r\n<>()[]\",;:\\") == std::string_view::npos;
}

struct Upload {
  std::string_view remaining;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t bytes = std::min(size * count, upload->remaining.size());
  std::memcpy(buffer, upload->remaining.data(), bytes);
  upload->remaining.remove_prefix(bytes);
  return bytes;
}

}  // namespace

Status CheckMailMessage(const MailMessage& message) {
  if (!IsAddress(message.from.address)) return InvalidArgument("not an e-mail address", "from");
  if (message.to.empty()) return InvalidArgument("a message needs at least one recipient", "to");
  for (const Mailbox& recipient : message.to) {
    if (!IsAddress(recipient.address)) return InvalidArgument("not an e-mail address: " + recipient.address, "to");
    if (HasLineBreak(recipient.name)) return InvalidArgument("a name must not contain line breaks", "to");
  }
  if (HasLineBreak(message.from.name)) return InvalidArgument("a name must not contain line breaks", "from");
  if (HasLineBreak(message.subject) || message.subject.size() > 998) {
    return InvalidArgument("the subject must be one line of at most 998 bytes", "subject");
  }
  for (const auto& [name, value] : message.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) {
      return InvalidArgument("header names and values must be single lines", "headers");
    }
  }
  if (!g_utf8_validate(message.text.data(), static_cast<gssize>(message.text.size()), nullptr)) {
    return InvalidArgument("the text must be UTF-8", "text");
  }
  return Status::Ok();
}

std::string RenderMessage(MailMessage& message, Micros date) {
  InitGmime();
  if (message.message_id.empty()) message.message_id = RandomToken(18) + "@touchpoint.local";
  std::unique_ptr<GMimeMessage, ObjectUnref> mime(g_mime_message_new(TRUE));
  g_mime_message_add_mailbox(mime.get(), GMIME_ADDRESS_TYPE_FROM, message.from.name.c_str(),
                             message.from.address.c_str());
  for (const Mailbox& recipient : message.to) {
    g_mime_message_add_mailbox(mime.get(), GMIME_ADDRESS_TYPE_TO, recipient.name.c_str(), recipient.address.c_str());
  }
  g_mime_message_set_subject(mime.get(), message.subject.c_str(), "utf-8");
  g_mime_message_set_message_id(mime.get(), message.message_id.c_str());
  GDateTime* when = g_date_time_new_from_unix_utc(date / 1'000'000);
  g_mime_message_set_date(mime.get(), when);
  g_date_time_unref(when);
  auto* object = reinterpret_cast<GMimeObject*>(mime.get());
  if (message.in_reply_to) {
    g_mime_object_set_header(object, "In-Reply-To", ("<" + *message.in_reply_to + ">").c_str(), nullptr);
  }
  if (!message.references.empty()) {
    std::string references;
    for (const std::string& id : message.references) references += (references.empty() ? "<" : " <") + id + ">";
    g_mime_object_set_header(object, "References", references.c_str(), nullptr);
  }
  for (const auto& [name, value] : message.headers) g_mime_object_set_header(object, name.c_str(), value.c_str(), "utf-8");
  std::unique_ptr<GMimeTextPart, ObjectUnref> body(g_mime_text_part_new_with_subtype("plain"));
  g_mime_text_part_set_text(body.get(), message.text.c_str());
  g_mime_message_set_mime_part(mime.get(), reinterpret_cast<GMimeObject*>(body.get()));
  // 7-bit transfer encodings (quoted-printable or base64, whichever is shorter) pass every relay.
  g_mime_object_encode(object, GMIME_ENCODING_CONSTRAINT_7BIT);
  GMimeFormatOptions* format = g_mime_format_options_clone(nullptr);
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  char* rendered = g_mime_object_to_string(object, format);
  g_mime_format_options_free(format);
  std::string text(rendered);
  g_free(rendered);
  return text;
}

SmtpSender::SmtpSender(AddressPolicy policy, SmtpOptions options)
    : policy_(std::move(policy)), options_(std::move(options)) {}

Status SmtpSender::Send(MailMessage& message) const {
  TP_RETURN_IF_ERROR(CheckMailMessage(message));
  if (message.message_id.empty()) message.message_id = RandomToken(18) + "@" + options_.domain;
  const std::string rendered = RenderMessage(message, NowMicros());
  CurlHandle handle(curl_easy_init());
  if (!handle) return Internal("curl_easy_init failed");
  CURL* curl = handle.get();
  const ConnectionGuard guard(curl, policy_);
  Upload upload{rendered};
  CurlList recipients;
  for (const Mailbox& recipient : message.to) {
    recipients.reset(curl_slist_append(recipients.release(), ("<" + recipient.address + ">").c_str()));
  }
  const std::string from = "<" + message.from.address + ">";
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rendered.size()));
  const long tls = options_.tls == SmtpTls::kRequired        ? CURLUSESSL_ALL
                   : options_.tls == SmtpTls::kOpportunistic ? CURLUSESSL_TRY
                                                             : CURLUSESSL_NONE;
  curl_easy_setopt(curl, CURLOPT_USE_SSL, tls);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode code = curl_easy_perform(curl);
  if (guard.refused()) return *guard.refused();
  if (code == CURLE_OK) return Status::Ok();
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  const std::string why = std::string("SMTP: ") + curl_easy_strerror(code) +
                          (reply > 0 ? " (server replied " + std::to_string(reply) + ")" : "");
  if (reply >= 500 && reply < 600) return InvalidArgument(why, "to");
  return Unavailable(why);
}

}  // namespace tp::outbound
