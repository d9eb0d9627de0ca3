#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "changes/kinds.h"
#include "common/crypto.h"
#include "outbound/address_policy.h"
#include "outbound/deliveries.h"
#include "outbound/http_client.h"
#include "outbound/mail.h"
#include "outbound/webhooks.h"
#include "store/testing.h"

namespace tp::outbound {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// A loopback HTTP/1.1 server answering every request with `response` (a whole HTTP message), keeping
// what it received. Small on purpose: each request is read up to its Content-Length body.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string response) : response_(std::move(response)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listener_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  void SetResponse(std::string response) {
    const std::lock_guard lock(mutex_);
    response_ = std::move(response);
  }
  std::vector<std::string> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      size_t expected = std::string::npos;
      while (expected == std::string::npos || request.size() < expected) {
        const ssize_t got = recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
        const auto end = request.find("\r\n\r\n");
        if (end != std::string::npos && expected == std::string::npos) {
          size_t body = 0;
          const auto length = request.find("Content-Length: ");
          if (length != std::string::npos && length < end) body = std::stoul(request.substr(length + 16));
          expected = end + 4 + body;
        }
      }
      std::string response;
      {
        const std::lock_guard lock(mutex_);
        requests_.push_back(request);
        response = response_;
      }
      send(client, response.data(), response.size(), MSG_NOSIGNAL);
      close(client);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::string response_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

AddressPolicy AllowingLoopback(std::uint16_t port) {
  return *AddressPolicy::Allowing({"127.0.0.1:" + std::to_string(port)});
}

std::string HeaderOf(const std::string& request, std::string_view name) {
  const auto at = request.find(std::string(name) + ": ");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 2;
  return request.substr(start, request.find("\r\n", start) - start);
}

std::string BodyOf(const std::string& request) { return request.substr(request.find("\r\n\r\n") + 4); }

TEST(AddressPolicyTest, RefusesInternalAddressesUnlessAllowed) {
  const AddressPolicy closed;
  for (const char* internal : {"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                               "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::5",
                               "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"}) {
    EXPECT_EQ(closed.CheckNumeric(internal, 80).code(), ErrorCode::kPermissionDenied) << internal;
  }
  for (const char* external : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888", "100.128.0.1"}) {
    EXPECT_TRUE(closed.CheckNumeric(external, 443).ok()) << external;
  }
  const AddressPolicy open = *AddressPolicy::Allowing({"127.0.0.1:8025", "10.0.0.0/8", "[::1]:9000"});
  EXPECT_TRUE(open.CheckNumeric("127.0.0.1", 8025).ok());
  EXPECT_FALSE(open.CheckNumeric("127.0.0.1", 8026).ok());
  EXPECT_TRUE(open.CheckNumeric("10.20.30.40", 1).ok());
  EXPECT_TRUE(open.CheckNumeric("::1", 9000).ok());
  EXPECT_FALSE(open.CheckNumeric("192.168.0.1", 80).ok());
  for (const char* bad : {"localhost", "10.0.0.0/33", "1.2.3.4:0", "1.2.3.4:99999", "[::1", "::1]:80"}) {
    EXPECT_EQ(AddressPolicy::Allowing({bad}).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(HttpClientTest, ConnectsOnlyWhereThePolicyAllowsEvenThroughRedirects) {
  InitCurl();
  LoopbackServer target{std::string(kOk)};
  // Refused by default: loopback is internal, whatever name the URL uses.
  HttpClient closed(AddressPolicy{}, {});
  for (const std::string& url : {target.url(), "http://localhost:" + std::to_string(target.port()) + "/hook"}) {
    EXPECT_EQ(closed.Send({.url = url, .body = "{}"}).status().code(), ErrorCode::kPermissionDenied) << url;
  }
  EXPECT_TRUE(target.requests().empty());

  HttpClient allowed(AllowingLoopback(target.port()), {});
  Result<HttpResponse> response = allowed.Send({.url = target.url(), .body = R"({"a":1})"});
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
  ASSERT_EQ(target.requests().size(), 1u);
  EXPECT_EQ(BodyOf(target.requests()[0]), R"({"a":1})");

  // An allowed receiver that redirects to an address that is not allowed gets nowhere.
  LoopbackServer hidden{std::string(kOk)};
  LoopbackServer redirector{"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + hidden.url() +
                            "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
  HttpClient via(AllowingLoopback(redirector.port()), {});
  EXPECT_EQ(via.Send({.url = redirector.url(), .body = "{}"}).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(hidden.requests().empty());

  // Redirects are bounded.
  LoopbackServer loop{""};
  loop.SetResponse("HTTP/1.1 307 Temporary Redirect\r\nLocation: " + loop.url() +
                   "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpClient looping(AllowingLoopback(loop.port()), {.max_redirects = 3});
  EXPECT_EQ(looping.Send({.url = loop.url(), .body = "{}"}).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(loop.requests().size(), 4u);
}

TEST(HttpClientTest, BoundsTheResponseTheSchemeAndTheTime) {
  InitCurl();
  LoopbackServer large{"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n" +
                       std::string(100000, 'x')};
  HttpClient client(AllowingLoopback(large.port()), {.max_response_bytes = 1024});
  EXPECT_EQ(client.Send({.url = large.url(), .body = "{}"}).status().code(), ErrorCode::kUnavailable);
  for (const char* url : {"ftp://example.com/x", "file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/",
                          "not a url"}) {
    EXPECT_EQ(client.Send({.url = url}).status().code(), ErrorCode::kInvalidArgument) << url;
  }
  // A receiver that accepts and never answers costs at most the total timeout.
  const int silent = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length);
  listen(silent, 4);
  const std::uint16_t port = ntohs(address.sin_port);
  HttpClient impatient(AllowingLoopback(port), {.total_timeout = 300ms});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(impatient.Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/"}).status().code(),
            ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  close(silent);
}

TEST(MailTest, RendersUtf8HeadersAndThreading) {
  MailMessage message{.from = {"Podpora Obchodu", "podpora@example.cz"},
                      .to = {{"Jana Nováková", "jana@example.cz"}},
                      .subject = "Vaše objednávka č. 42 je na cestě",
                      .text = "Dobrý den,\nzásilka dorazí zítra. Děkujeme!\n",
                      .message_id = "reply-2@example.cz",
                      .in_reply_to = "question-1@example.cz",
                      .references = {"question-1@example.cz"},
                      .headers = {{"Auto-Submitted", "auto-replied"}}};
  ASSERT_TRUE(CheckMailMessage(message).ok());
  const std::string rendered = RenderMessage(message, 1'800'000'000'000'000);
  EXPECT_NE(rendered.find("Message-Id: <reply-2@example.cz>"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("In-Reply-To: <question-1@example.cz>"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("References: <question-1@example.cz>"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("Subject: =?"), std::string::npos) << "non-ASCII subjects are encoded words";
  EXPECT_NE(rendered.find("charset=utf-8"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("Nováková"), std::string::npos) << "7-bit clean";
  EXPECT_NE(rendered.find("\r\n"), std::string::npos);

  MailMessage hostile = message;
  hostile.subject = "Hi\r\nBcc: victim@example.com";
  EXPECT_EQ(CheckMailMessage(hostile).field(), "subject");
  hostile = message;
  hostile.to = {{"", "a@b.cz>\r\nRCPT TO:<x@y.cz"}};
  EXPECT_EQ(CheckMailMessage(hostile).field(), "to");
  hostile = message;
  hostile.to.clear();
  EXPECT_EQ(CheckMailMessage(hostile).field(), "to");
}

constexpr std::string_view kTenant = "tenant_out";

// How many jobs a RunDue call ran; -1 (and a test failure) when it failed.
int Ran(const Result<int>& ran) {
  EXPECT_TRUE(ran.ok()) << ran.status().message();
  return ran.ok() ? *ran : -1;
}

class DeliveryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DeliveryTest, AChangeBecomesASignedWebhookCallThatIsRetriedUntilTheReceiverAnswers) {
  InitCurl();
  store::TestDatabase db(GetParam());
  store::Store& store = db.store();
  ASSERT_TRUE(store.WriteSystem([](store::SystemTx& tx) {
                     return tx.Execute("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, 'out', 'Out', 0)",
                                       {std::string(kTenant)})
                         .status();
                   })
                  .ok());
  const SecretBox secrets = SecretBox::WithRandomKey();
  LoopbackServer receiver{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
  CreatedWebhook created;
  ASSERT_TRUE(store
                  .Write(std::string(kTenant),
                         [&](store::TenantTx& tx) -> Status {
                           TP_ASSIGN_OR_RETURN(created, CreateWebhook(tx, identity::AuditContext::System(),
                                                                      {.url = receiver.url(), .kinds = {"customer.*"}},
                                                                      secrets, 1));
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_TRUE(created.secret.starts_with("whsec_"));

  // The feed hands FanOut a batch: a matching change, one that is not subscribed, an internal one.
  const std::vector<store::Change> batch = {
      {7, std::string(kTenant), "customer.created", "cus_1", R"({"customer_id":"cus_1"})", 1'800'000'000'000'000},
      {8, std::string(kTenant), "case.created", "cas_1", R"({"case_id":"cas_1"})", 1'800'000'000'000'000},
      {9, std::string(kTenant), "job.scheduled", "job_1", R"({})", 1'800'000'000'000'000}};
  ASSERT_TRUE(store.WriteSystem([&](store::SystemTx& tx) { return FanOut(tx, batch, 1'800'000'000'000'000); }).ok());

  std::atomic<Micros> now = 1'800'000'000'000'000;
  HttpClient http(AllowingLoopback(receiver.port()), {});
  Deliverer deliverer(store, http, nullptr, &secrets, [&] { return now.load(); });
  jobs::Runner runner(store, {.owner = "test", .now = [&] { return now.load(); }});
  runner.Handle(std::string(kDeliverJob), [&](const jobs::Job& job) { return deliverer.Run(job); });

  ASSERT_EQ(Ran(runner.RunDue()), 1);  // one delivery: only customer.created matched
  Page<Delivery> page;
  ASSERT_TRUE(store
                  .Read(std::string(kTenant),
                        [&](store::TenantTx& tx) -> Status {
                          TP_ASSIGN_OR_RETURN(page, ListDeliveries(tx, {}, PageRequest{}));
                          return Status::Ok();
                        })
                  .ok());
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].state, DeliveryState::kRetrying);
  EXPECT_EQ(page.items[0].last_status, 503);
  EXPECT_EQ(page.items[0].customer_id, "cus_1");
  EXPECT_NE(page.items[0].last_error->find("503"), std::string::npos);

  // The receiver is back: the retry after the backoff gets through.
  receiver.SetResponse(std::string(kOk));
  now += 60'000'000;
  ASSERT_EQ(Ran(runner.RunDue()), 1);
  Delivery delivery;
  ASSERT_TRUE(store
                  .Read(std::string(kTenant),
                        [&](store::TenantTx& tx) -> Status {
                          TP_ASSIGN_OR_RETURN(delivery, GetDelivery(tx, page.items[0].id));
                          return Status::Ok();
                        })
                  .ok());
  EXPECT_EQ(delivery.state, DeliveryState::kDelivered);
  EXPECT_EQ(delivery.attempts, 2);
  EXPECT_FALSE(delivery.last_error.has_value());

  const std::vector<std::string> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  const std::string& request = requests.back();
  const std::string body = BodyOf(request);
  const Json parsed = Json::parse(body);
  EXPECT_EQ(parsed["kind"], "customer.created");
  EXPECT_EQ(parsed["sequence"], 7);
  EXPECT_EQ(parsed["data"]["customer_id"], "cus_1");
  EXPECT_EQ(HeaderOf(request, "Touchpoint-Delivery"), delivery.id);
  EXPECT_EQ(HeaderOf(request, "Touchpoint-Event"), "customer.created");
  // The receiver's check: HMAC-SHA256 over "<t>.<body>" with the secret it was given once.
  const std::string signature = HeaderOf(request, "Touchpoint-Signature");
  const std::string timestamp = signature.substr(2, signature.find(',') - 2);
  EXPECT_EQ(timestamp, std::to_string(now.load() / 1'000'000));
  EXPECT_EQ(signature.substr(signature.find("v1=") + 3), HmacSha256Hex(created.secret, timestamp + "." + body));
}

TEST_P(DeliveryTest, ARefusedAddressFailsTheDeliveryForGoodAndMailWithoutSmtpWaits) {
  InitCurl();
  store::TestDatabase db(GetParam());
  store::Store& store = db.store();
  const SecretBox secrets = SecretBox::WithRandomKey();
  ASSERT_TRUE(store.WriteSystem([](store::SystemTx& tx) {
                     return tx.Execute("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, 'out', 'Out', 0)",
                                       {std::string(kTenant)})
                         .status();
                   })
                  .ok());
  Delivery webhook;
  Delivery mail;
  ASSERT_TRUE(store
                  .Write(std::string(kTenant),
                         [&](store::TenantTx& tx) -> Status {
                           TP_ASSIGN_OR_RETURN(auto created,
                                               CreateWebhook(tx, identity::AuditContext::System(),
                                                             {.url = "http://169.254.169.254/latest", .kinds = {"*"}},
                                                             secrets, 1));
                           TP_ASSIGN_OR_RETURN(webhook, QueueWebhookCall(tx, created.webhook.id, created.webhook.url,
                                                                         "customer.created", "{}", std::nullopt, 1));
                           TP_ASSIGN_OR_RETURN(mail, QueueEmail(tx,
                                                                {.from = {"", "a@example.cz"},
                                                                 .to = {{"", "b@example.cz"}},
                                                                 .subject = "s",
                                                                 .text = "t"},
                                                                "mail:test", std::nullopt, 1));
                           return Status::Ok();
                         })
                  .ok());
  HttpClient http(AddressPolicy{}, {});
  Deliverer deliverer(store, http, nullptr, &secrets);
  jobs::Runner runner(store, {.owner = "test"});
  runner.Handle(std::string(kDeliverJob), [&](const jobs::Job& job) { return deliverer.Run(job); });
  ASSERT_EQ(Ran(runner.RunDue()), 2);
  ASSERT_TRUE(store
                  .Read(std::string(kTenant),
                        [&](store::TenantTx& tx) -> Status {
                          TP_ASSIGN_OR_RETURN(webhook, GetDelivery(tx, webhook.id));
                          TP_ASSIGN_OR_RETURN(mail, GetDelivery(tx, mail.id));
                          return Status::Ok();
                        })
                  .ok());
  EXPECT_EQ(webhook.state, DeliveryState::kFailed);
  EXPECT_NE(webhook.last_error->find("link-local"), std::string::npos) << *webhook.last_error;
  EXPECT_EQ(mail.state, DeliveryState::kRetrying);
  EXPECT_NE(mail.last_error->find("--smtp-url"), std::string::npos);
}

TEST_P(DeliveryTest, WebhookKindsAreValidated) {
  store::TestDatabase db(GetParam());
  const SecretBox secrets = SecretBox::WithRandomKey();
  const Status status = db.store().Write(std::string(kTenant), [&](store::TenantTx& tx) -> Status {
    const auto create = [&](WebhookSpec spec) {
      return CreateWebhook(tx, identity::AuditContext::System(), spec, secrets, 1).status();
    };
    EXPECT_EQ(create({.url = "https://example.com/h", .kinds = {}}).field(), "kinds");
    EXPECT_EQ(create({.url = "https://example.com/h", .kinds = {"job.scheduled"}}).field(), "kinds");
    EXPECT_EQ(create({.url = "https://example.com/h", .kinds = {"nonsense.*"}}).field(), "kinds");
    EXPECT_EQ(create({.url = "javascript:alert(1)", .kinds = {"*"}}).field(), "url");
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(KindMatches("customer.*", "customer.merged"));
  EXPECT_FALSE(KindMatches("customer.*", "case.created"));
  EXPECT_FALSE(KindMatches("*", "delivery.updated"));
}

INSTANTIATE_TEST_SUITE_P(Backends, DeliveryTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::outbound
