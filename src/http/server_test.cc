// The server over real sockets on 127.0.0.1, with a small blocking client written against POSIX
// sockets so that every byte on the wire is under the test's control (half headers, bad framing).
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/router.h"

namespace tp::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

void SetReceiveTimeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Returns a connected socket, or -1 when the connection is refused.
int Connect(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  SetReceiveTimeout(fd, 5s);  // a broken server fails the test instead of hanging it
  return fd;
}

// A blocking HTTP/1.1 client, just enough for these tests. Responses are framed by Content-Length,
// which this server always sends.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(Connect(port)) {}
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Reads one response; `head` says the request was HEAD (a length but no body follows).
  std::optional<RawResponse> Read(bool head = false) {
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    const std::string header = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    const auto first_line_end = header.find("\r\n");
    const std::string status_line = header.substr(0, first_line_end);
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    std::size_t line_start = first_line_end == std::string::npos ? header.size() : first_line_end + 2;
    while (line_start < header.size()) {
      const auto line_end = std::min(header.find("\r\n", line_start), header.size());
      const std::string line = header.substr(line_start, line_end - line_start);
      const auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', colon + 1));
      // Set-Cookie may repeat: keep them all, one per line, for the tests to inspect.
      auto [existing, inserted] = response.headers.emplace(std::move(name), value);
      if (!inserted) existing->second += "\n" + value;
      line_start = line_end + 2;
    }
    const auto length = response.headers.find(std::string_view("Content-Length"));
    if (!head && length != response.headers.end()) {
      const std::size_t size = std::stoul(length->second);
      while (buffer_.size() < size) {
        if (!Fill()) return std::nullopt;
      }
      response.body = buffer_.substr(0, size);
      buffer_.erase(0, size);
    }
    return response;
  }

  // True when a response (or the end of the connection) can be read without waiting.
  bool Readable() {
    if (!buffer_.empty()) return true;
    pollfd ready{fd_, POLLIN, 0};
    return poll(&ready, 1, 0) > 0;
  }

  // True when the server closes the connection (EOF or reset) within `timeout`; data is discarded.
  bool WaitForClose(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    char scratch[4096];
    while (Clock::now() < deadline) {
      SetReceiveTimeout(fd_,
                        std::max(1ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())));
      const ssize_t received = recv(fd_, scratch, sizeof scratch, 0);
      if (received == 0 || (received < 0 && errno == ECONNRESET)) return true;
      if (received < 0 && errno != EINTR) return false;  // timed out
    }
    return false;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t received = recv(fd_, chunk, sizeof chunk, 0);
    if (received <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(received));
    return true;
  }

  int fd_;
  std::string buffer_;
};

bool CanConnect(std::uint16_t port) {
  const int fd = Connect(port);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string Get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

std::string Post(std::string_view path, std::string_view body) {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + 2s;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

bool IsGeneratedRequestId(std::string_view id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string ErrorCodeOf(const RawResponse& response) {
  return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
}

// Collects access-log lines in memory.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Lines() {
    const std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    lines_.emplace_back(message.payload.data(), message.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

class ServerTest : public ::testing::Test {
 protected:
  static ServerOptions TestOptions() {
    ServerOptions options;
    options.port = 0;
    options.body_limit = 1024;
    options.header_timeout = 200ms;
    options.read_timeout = 1s;
    options.idle_timeout = 5s;
    options.drain_timeout = 5s;
    options.io_threads = 2;
    options.worker_threads = 4;
    options.access_log = false;
    return options;
  }

  void SetUp() override {
    router_.Add("GET", "/hello", [](Request&) { return Response::Text(200, "hello"); });
    router_.Add("POST", "/echo", [](Request& request) { return Response::Text(200, request.body); });
    router_.Add("GET", "/healthz", [](Request&) { return Response::Text(200, "ok"); });
    router_.Add("GET", "/wait", [this](Request&) {
      waiting_.fetch_add(1);
      release_.wait();
      return Response::Text(200, "released");
    });
    router_.Add("POST", "/upload", [this](Request&) {
      ++upload_calls_;
      return Response::NoContent();
    });
    // Reports where a spooled upload is and what it holds, read back from the file.
    const Handler describe_upload = [this](Request& request) {
      if (!request.spooled_body) return Response::Text(500, "not spooled");
      spooled_path_ = request.spooled_body->path();
      std::ifstream file(spooled_path_, std::ios::binary);
      const std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      return Response::Text(200, std::to_string(content.size()) + ":" + content.substr(0, 5) + ":" +
                                     (request.body.empty() ? "memory-empty" : "memory-full"));
    };
    router_.Add("POST", "/files/csv", describe_upload);
    // The same for callers named by X-Caller only, checked before the body is read (as api/ does).
    router_.Add("POST", "/files/private", describe_upload, [this](Request& request) -> Result<Admission> {
      ++admit_calls_;
      if (!request.body.empty()) return Internal("the body was read before the admission check");
      const std::optional<std::string> caller = request.Header("X-Caller");
      if (!caller) return Unauthenticated("name yourself in X-Caller");
      return Admission{*caller};
    });
    router_.Add("GET", "/items/{id}",
                [](Request& request) { return Response::Text(200, std::string(request.PathParam("id"))); });
    router_.Add("GET", "/query",
                [](Request& request) { return Response::Text(200, request.QueryParam("q").value_or("<none>")); });
    router_.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("secret-detail-42"); });
    router_.Add("GET", "/slow", [this](Request&) {
      slow_started_.set_value();
      std::this_thread::sleep_for(300ms);
      return Response::Text(200, "done");
    });
    router_.Add("GET", "/cookies", [](Request&) {
      Response response = Response::Text(200, "ok");
      response.set_cookies = {"a=1; Path=/; HttpOnly", "b=2; Path=/"};
      response.headers["Cache-Control"] = "max-age=60";
      return response;
    });
    router_.Add("GET", "/inject", [](Request&) {
      Response response = Response::Text(200, "ok");
      response.headers["X-Evil"] = "x\r\nSet-Cookie: stolen=1";
      return response;
    });
  }

  void TearDown() override {
    ReleaseWaiting();  // handlers still in /wait must not hold up the shutdown
    if (server_) {
      server_->Stop();
      EXPECT_EQ(run_.wait_for(10s), std::future_status::ready);
    }
    if (!spool_directory_.empty()) {
      EXPECT_TRUE(std::filesystem::is_empty(spool_directory_)) << "an upload file was left behind";
      std::filesystem::remove_all(spool_directory_);
    }
  }

  // A spool directory of this test's own, so that its files can be counted; removed by TearDown.
  ServerOptions SpoolingOptions() {
    spool_directory_ =
        std::filesystem::path(::testing::TempDir()) / ("tp-spool-" + std::to_string(::getpid()) + "-" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(spool_directory_);
    ServerOptions options = TestOptions();
    options.spooled_prefixes = {"/files/"};
    options.spooled_body_limit = 64 * 1024;
    options.spool_directory = spool_directory_.string();
    return options;
  }

  void ReleaseWaiting() {
    std::call_once(released_, [this] { release_promise_.set_value(); });
  }

  bool SpoolIsEmpty() const { return std::filesystem::is_empty(spool_directory_); }

  void Start(ServerOptions options = TestOptions()) {
    server_ = std::make_unique<Server>(
        options, [this](Request& request) { return router_.Dispatch(request); }, metrics_,
        [this](Request& request) { return router_.Admit(request); });
    const Status listening = server_->Listen();
    ASSERT_TRUE(listening.ok()) << listening.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    run_ = std::async(std::launch::async, [this] { server_->Run(); });
  }

  Router router_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::future<void> run_;
  std::uint16_t port_ = 0;
  std::atomic<int> upload_calls_{0};
  std::promise<void> slow_started_;
  std::string spooled_path_;
  std::atomic<int> admit_calls_{0};
  std::atomic<int> waiting_{0};  // handlers of /wait that started
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
  std::once_flag released_;
  std::filesystem::path spool_directory_;
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get("/hello")));
  auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "hello");
  EXPECT_FALSE(first->headers.contains(std::string_view("Connection")));  // HTTP/1.1 default: keep-alive
  ASSERT_TRUE(client.Send(Get("/items/7")));
  auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "7");
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/items/1") + Get("/items/2")));
  auto first = client.Read();
  auto second = client.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "1");
  EXPECT_EQ(second->body, "2");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello", "Connection: close\r\n")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.at("Connection"), "close");
  EXPECT_TRUE(client.WaitForClose(1s));
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.0\r\n\r\n"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.WaitForClose(1s));
}

TEST_F(ServerTest, AddsStandardHeaders) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.at("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response->headers.at("Cache-Control"), "no-store");
  EXPECT_EQ(response->headers.at("Content-Length"), "5");
  EXPECT_EQ(response->headers.at("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(response->headers.at("Date").ends_with(" GMT"));
  EXPECT_TRUE(IsGeneratedRequestId(response->headers.at("X-Request-Id")));
}

TEST_F(ServerTest, KeepsHandlerCacheControlAndSendsEveryCookie) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/cookies")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.at("Cache-Control"), "max-age=60");
  EXPECT_EQ(response->headers.at("Set-Cookie"), "a=1; Path=/; HttpOnly\nb=2; Path=/");
}

TEST_F(ServerTest, EchoesValidRequestIdAndReplacesOthers) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: Abc-123.def_4\r\n")));
  auto echoed = client.Read();
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->headers.at("X-Request-Id"), "Abc-123.def_4");

  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: bad id <script>\r\n")));
  auto replaced = client.Read();
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(IsGeneratedRequestId(replaced->headers.at("X-Request-Id")));

  ASSERT_TRUE(client.Send(Get("/hello", "X-Request-Id: " + std::string(65, 'a') + "\r\n")));
  auto too_long = client.Read();
  ASSERT_TRUE(too_long);
  EXPECT_TRUE(IsGeneratedRequestId(too_long->headers.at("X-Request-Id")));
}

TEST_F(ServerTest, PostBodyArrivesIntact) {
  Start();
  std::string body;
  for (int index = 0; index < 1000; ++index) body += static_cast<char>(index % 256);  // NULs, CR, LF included
  Client client(port_);
  ASSERT_TRUE(client.Send(Post("/echo", body)));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, body);
}

TEST_F(ServerTest, ChunkedBodyIsAssembled) {
  Start();
  Client client(port_);
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello world");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("ping"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ping");
}

TEST_F(ServerTest, ContentLengthOverLimitIs413WithoutReadingTheBody) {
  Start();
  Client client(port_);
  // Part of a large upload is already on its way, as it would be from a real client.
  ASSERT_TRUE(
      client.Send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n" + std::string(8192, 'x')));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(ErrorCodeOf(*response), "payload_too_large");
  EXPECT_EQ(response->headers.at("Connection"), "close");
  EXPECT_TRUE(client.WaitForClose(3s));
  EXPECT_EQ(upload_calls_, 0);
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  Start();
  Client client(port_);
  const std::string chunk = "258\r\n" + std::string(600, 'x') + "\r\n";  // 0x258 = 600 bytes
  ASSERT_TRUE(client.Send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk +
                          "0\r\n\r\n"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(ErrorCodeOf(*response), "payload_too_large");
  EXPECT_EQ(upload_calls_, 0);
}

TEST_F(ServerTest, BodyAtTheLimitIsAccepted) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Post("/echo", std::string(1024, 'y'))));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), 1024u);
}

// Uploads to a spooled prefix go to a temporary file, past the in-memory body limit, whether sent with
// Content-Length or chunked; the file is gone once the request is answered. Their own limit still holds.
TEST_F(ServerTest, LargeUploadsToSpooledRoutesGoToATemporaryFile) {
  Start(SpoolingOptions());
  const std::string upload = "lines" + std::string(50 * 1024, 'z');  // far over body_limit (1 KiB)
  Client client(port_);
  ASSERT_TRUE(client.Send(Post("/files/csv", upload)));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, std::to_string(upload.size()) + ":lines:memory-empty");
  ASSERT_FALSE(spooled_path_.empty());
  EXPECT_TRUE(spooled_path_.starts_with(spool_directory_.string()));

  // The same connection goes on (keep-alive); the previous request's file is removed by then.
  ASSERT_TRUE(client.Send("POST /files/csv HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "11:hello:memory-empty");
  ASSERT_TRUE(client.Send(Post("/echo", "small")));  // other routes keep their bodies in memory
  response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "small");
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(spooled_path_); }));

  Client too_large(port_);
  ASSERT_TRUE(too_large.Send("POST /files/csv HTTP/1.1\r\nHost: test\r\nContent-Length: 70000\r\n\r\n"));
  response = too_large.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("65536"), std::string::npos) << response->body;
  ASSERT_TRUE(too_large.WaitForClose(3s));
}

// Spooled uploads are capped in number: one more while the cap is reached is 503 with Retry-After, and
// a finished upload gives its slot back.
TEST_F(ServerTest, SpooledUploadsBeyondTheCapAre503) {
  ServerOptions options = SpoolingOptions();
  options.max_spooled_uploads = 1;
  Start(options);
  Client slow(port_);  // holds the only slot: its body is still on its way
  ASSERT_TRUE(slow.Send("POST /files/csv HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello"));
  ASSERT_TRUE(Eventually([&] { return !SpoolIsEmpty(); }));  // its file exists once it holds the slot
  Client refused(port_);
  ASSERT_TRUE(refused.Send(Post("/files/csv", "other")));
  auto response = refused.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->headers.at("Retry-After"), "5");
  ASSERT_TRUE(slow.Send("world"));
  response = slow.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "10:hello:memory-empty");
  // The answered request's slot, then its file, go once the answer is written, a moment after it
  // arrives here.
  ASSERT_TRUE(Eventually([&] { return SpoolIsEmpty(); }));
  Client next(port_);
  ASSERT_TRUE(next.Send(Post("/files/csv", "again")));
  response = next.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

std::string PrivateUpload(std::string_view caller, std::string_view length, std::string_view body) {
  return "POST /files/private HTTP/1.1\r\nHost: test\r\nX-Caller: " + std::string(caller) +
         "\r\nContent-Length: " + std::string(length) + "\r\n\r\n" + std::string(body);
}

// Uploads are checked from their header before their body is read: a refused caller never holds an
// upload slot, however slowly it sends, and the one slot stays free for a caller who may upload.
TEST_F(ServerTest, UploadsOfRefusedCallersAreAnsweredBeforeTheirBodyIsRead) {
  ServerOptions options = SpoolingOptions();
  options.max_spooled_uploads = 1;
  Start(options);
  std::vector<std::unique_ptr<Client>> strangers;
  for (int index = 0; index < 4; ++index) {
    strangers.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(strangers.back()->Send("POST /files/private HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhel"));
    auto response = strangers.back()->Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(response->headers.at("Connection"), "close");
  }
  EXPECT_TRUE(SpoolIsEmpty());
  Client admin(port_);
  ASSERT_TRUE(admin.Send(PrivateUpload("admin", "5", "lines")));
  auto response = admin.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "5:lines:memory-empty");
  EXPECT_EQ(admit_calls_, 5);
}

// One caller holds at most its share of the upload slots; the others stay free for other callers.
TEST_F(ServerTest, UploadSlotsAreSharedOutPerCaller) {
  ServerOptions options = SpoolingOptions();
  options.max_spooled_uploads = 2;
  options.max_spooled_uploads_per_caller = 1;
  Start(options);
  Client trickling(port_);  // holds caller a's only slot: its body is still on its way
  ASSERT_TRUE(trickling.Send(PrivateUpload("a", "10", "hello")));
  ASSERT_TRUE(Eventually([&] { return !SpoolIsEmpty(); }));
  Client again(port_);
  ASSERT_TRUE(again.Send(PrivateUpload("a", "5", "other")));
  auto response = again.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->headers.at("Retry-After"), "5");
  Client other(port_);
  ASSERT_TRUE(other.Send(PrivateUpload("b", "5", "bbbbb")));
  response = other.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "5:bbbbb:memory-empty");
  ASSERT_TRUE(trickling.Send("world"));
  response = trickling.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "10:hello:memory-empty");
}

// 100 Continue invites the body; a request refused from its header gets its answer instead.
TEST_F(ServerTest, ExpectContinueIsNotSentToARefusedRequest) {
  Start(SpoolingOptions());
  const std::string expect = "Expect: 100-continue\r\n\r\n";
  Client stranger(port_);
  ASSERT_TRUE(stranger.Send("POST /files/private HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n" + expect));
  auto response = stranger.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  Client too_large(port_);
  ASSERT_TRUE(too_large.Send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n" + expect));
  response = too_large.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  Client admitted(port_);
  ASSERT_TRUE(
      admitted.Send("POST /files/private HTTP/1.1\r\nHost: test\r\nX-Caller: a\r\nContent-Length: 5\r\n" + expect));
  response = admitted.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 100);
  ASSERT_TRUE(admitted.Send("lines"));
  response = admitted.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "5:lines:memory-empty");
}

// With every worker busy and the queue full, a request is answered 503 at once instead of waiting;
// health checks run outside the queue and still answer.
TEST_F(ServerTest, RequestsBeyondTheQueueAre503AndHealthChecksStillAnswer) {
  ServerOptions options = TestOptions();
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  options.unqueued_paths = {"/healthz"};
  Start(options);
  Client running(port_);
  ASSERT_TRUE(running.Send(Get("/wait")));
  ASSERT_TRUE(Eventually([&] { return waiting_ == 1; }));
  // One of these two waits in the queue, the other finds it full; which one is up to the scheduler.
  Client second(port_);
  Client third(port_);
  ASSERT_TRUE(second.Send(Get("/wait")));
  ASSERT_TRUE(third.Send(Get("/wait")));
  ASSERT_TRUE(Eventually([&] { return second.Readable() || third.Readable(); }));
  Client& refused = second.Readable() ? second : third;
  Client& queued = second.Readable() ? third : second;
  auto response = refused.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->headers.at("Retry-After"), "1");
  Client health(port_);
  ASSERT_TRUE(health.Send(Get("/healthz")));
  response = health.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  ReleaseWaiting();
  for (Client* client : {&running, &queued}) {
    response = client->Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "released");
  }
}

// Opens `cap` connections that are served, then checks that one more is closed at once and that a
// closed connection's place can be taken again.
void ExpectConnectionCap(std::uint16_t port, int cap) {
  std::vector<std::unique_ptr<Client>> open;
  for (int index = 0; index < cap; ++index) {
    open.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(open.back()->Send(Get("/hello")));
    auto response = open.back()->Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  Client beyond(port);
  ASSERT_TRUE(beyond.connected());  // the kernel accepts it; the server closes it
  EXPECT_TRUE(beyond.WaitForClose(2s));
  open.pop_back();
  EXPECT_TRUE(Eventually([&] {
    Client next(port);
    auto response = next.Send(Get("/hello")) ? next.Read() : std::nullopt;
    return response && response->status == 200;
  }));
}

TEST_F(ServerTest, ConnectionsBeyondThePerAddressCapAreClosed) {
  ServerOptions options = TestOptions();
  options.max_connections_per_address = 3;
  Start(options);
  ExpectConnectionCap(port_, 3);
}

TEST_F(ServerTest, ConnectionsBeyondTheGlobalCapAreClosed) {
  ServerOptions options = TestOptions();
  options.max_connections = 2;
  Start(options);
  ExpectConnectionCap(port_, 2);
}

TEST(DescriptorLimit, SoftLimitIsRaisedToTheHardLimit) {
  const std::uint64_t raised = RaiseDescriptorLimit();
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(raised, limit.rlim_cur);
  EXPECT_EQ(limit.rlim_cur, limit.rlim_max);
}

// RFC 9112 section 6.3: a body whose length is ambiguous is refused, and what follows it is never
// read as a request of its own (request smuggling).
TEST_F(ServerTest, AmbiguousBodyFramingIs400AndCloses) {
  Start();
  for (const std::string_view framing :
       {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n", "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}) {
    Client client(port_);
    ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: test\r\n" + std::string(framing) + "\r\n0\r\n\r\n" +
                            Get("/hello")));
    auto response = client.Read();
    ASSERT_TRUE(response) << framing;
    EXPECT_EQ(response->status, 400) << framing;
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument") << framing;
    EXPECT_FALSE(client.Read()) << framing << ": the smuggled request was answered";
  }
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello", "X-Big: " + std::string(20 * 1024, 'h') + "\r\n")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client.WaitForClose(3s));
}

TEST_F(ServerTest, SlowlorisIsDisconnectedAfterHeaderTimeout) {
  Start();
  Client client(port_);
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost: te"));
  EXPECT_TRUE(client.WaitForClose(2s));
  EXPECT_GE(Clock::now() - start, 150ms);
}

TEST_F(ServerTest, SilentConnectionIsDisconnectedAfterHeaderTimeout) {
  Start();
  Client client(port_);
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitForClose(2s));
  EXPECT_GE(Clock::now() - start, 150ms);
}

TEST_F(ServerTest, SlowBodyIsDisconnectedAfterReadTimeout) {
  Start();
  Client client(port_);
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(client.WaitForClose(3s));
  EXPECT_GE(Clock::now() - start, 900ms);
}

TEST_F(ServerTest, IdleKeepAliveConnectionClosesAfterIdleTimeout) {
  ServerOptions options = TestOptions();
  options.idle_timeout = 200ms;
  Start(options);
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello")));
  ASSERT_TRUE(client.Read());
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitForClose(2s));
  EXPECT_GE(Clock::now() - start, 150ms);
}

TEST_F(ServerTest, MalformedRequestLineIs400AndCloses) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send("GARBAGE\r\n\r\n"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
  EXPECT_TRUE(IsGeneratedRequestId(response->headers.at("X-Request-Id")));
  EXPECT_TRUE(client.WaitForClose(3s));
}

TEST_F(ServerTest, TargetThatIsNotAPathIs400) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("hello")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST_F(ServerTest, AbsoluteFormTargetIsRouted) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("http://test/items/9?q=1")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "9");
}

TEST_F(ServerTest, DecodesPathAndQuery) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/items/a%20b%C3%A9")));
  auto decoded = client.Read();
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->body, "a b\xC3\xA9");

  ASSERT_TRUE(client.Send(Get("/query?q=a+b%21&other=1")));
  auto query = client.Read();
  ASSERT_TRUE(query);
  EXPECT_EQ(query->body, "a b!");

  // Decoding happens before routing, so an encoded slash separates segments.
  ASSERT_TRUE(client.Send(Get("/items/a%2Fb")));
  auto slash = client.Read();
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->status, 404);
}

TEST_F(ServerTest, RejectsEncodedNulAndBadEscapes) {
  Start();
  for (const char* target : {"/items/a%00b", "/items/%zz", "/items/abc%4", "/query?q=%0"}) {
    SCOPED_TRACE(target);
    Client client(port_);
    ASSERT_TRUE(client.Send(Get(target)));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(ErrorCodeOf(*response), "invalid_argument");
  }
}

TEST_F(ServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/nope")));
  auto missing = client.Read();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCodeOf(*missing), "not_found");
  ASSERT_TRUE(client.Send(Post("/hello", "")));
  auto wrong_method = client.Read();
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->headers.at("Allow"), "GET, HEAD");
}

TEST_F(ServerTest, HeadGetsTheLengthButNoBody) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n"));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.at("Content-Length"), "5");
  // The next response on the connection starts right away: no body bytes were sent.
  ASSERT_TRUE(client.Send(Get("/items/3")));
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "3");
}

TEST_F(ServerTest, NoContentHasNoContentLength) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Post("/upload", "x")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 204);
  EXPECT_FALSE(response->headers.contains(std::string_view("Content-Length")));
  EXPECT_EQ(upload_calls_, 1);
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutDetails) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/boom")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(ErrorCodeOf(*response), "internal");
  EXPECT_EQ(response->body.find("secret-detail-42"), std::string::npos);
  // The connection survives the handler's failure.
  ASSERT_TRUE(client.Send(Get("/hello")));
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, HandlerCannotSplitTheResponse) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/inject")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(response->headers.contains(std::string_view("Set-Cookie")));
}

TEST_F(ServerTest, MetricsCountRequestsByRoute) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/items/42")));
  ASSERT_TRUE(client.Read());
  ASSERT_TRUE(client.Send(Get("/nope")));
  ASSERT_TRUE(client.Read());
  // Metrics are recorded once the write completes, which may be after the client has the bytes.
  EXPECT_TRUE(Eventually([&] {
    const std::string text = metrics_.Render();
    return text.find("touchpoint_http_requests_total{route=\"/items/{id}\",method=\"GET\",status=\"200\"} 1\n") !=
               std::string::npos &&
           text.find("touchpoint_http_request_duration_seconds_bucket{route=\"/items/{id}\",le=\"+Inf\"} 1\n") !=
               std::string::npos &&
           text.find("touchpoint_http_request_duration_seconds_count{route=\"/items/{id}\"} 1\n") !=
               std::string::npos &&
           text.find("touchpoint_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n") !=
               std::string::npos;
  })) << metrics_.Render();
}

TEST_F(ServerTest, AccessLogWritesOneJsonLinePerRequest) {
  auto sink = std::make_shared<CaptureSink>();
  spdlog::drop("access");
  spdlog::register_logger(std::make_shared<spdlog::logger>("access", sink));
  ServerOptions options = TestOptions();
  options.access_log = true;
  Start(options);
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/items/5", "User-Agent: tests/1.0\r\nX-Request-Id: log-me\r\n")));
  ASSERT_TRUE(client.Read());
  ASSERT_TRUE(Eventually([&] { return sink->Lines().size() == 1; }));
  const auto line = nlohmann::json::parse(sink->Lines().front());
  EXPECT_EQ(line.at("request_id"), "log-me");
  EXPECT_EQ(line.at("method"), "GET");
  EXPECT_EQ(line.at("path"), "/items/5");
  EXPECT_EQ(line.at("route"), "/items/{id}");
  EXPECT_EQ(line.at("status"), 200);
  EXPECT_EQ(line.at("remote_ip"), "127.0.0.1");
  EXPECT_EQ(line.at("user_agent"), "tests/1.0");
  EXPECT_GT(line.at("bytes_in").get<int>(), 0);
  EXPECT_GT(line.at("bytes_out").get<int>(), 1);
  EXPECT_GE(line.at("duration_ms").get<double>(), 0);
  EXPECT_TRUE(line.at("ts").get<std::string>().ends_with("Z"));
  spdlog::drop("access");
}

TEST_F(ServerTest, AccessLogCutsCredentialSegmentsToTheirPrefix) {
  auto sink = std::make_shared<CaptureSink>();
  spdlog::drop("access");
  spdlog::register_logger(std::make_shared<spdlog::logger>("access", sink));
  ServerOptions options = TestOptions();
  options.access_log = true;
  options.credential_segment_prefix = "tpk_";
  Start(options);
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/items/tpk_secret_key")));
  ASSERT_TRUE(client.Read());
  ASSERT_TRUE(Eventually([&] { return sink->Lines().size() == 1; }));
  EXPECT_EQ(nlohmann::json::parse(sink->Lines().front()).at("path"), "/items/tpk_…");
  EXPECT_EQ(sink->Lines().front().find("secret"), std::string::npos);
  spdlog::drop("access");
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequest) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/slow")));
  ASSERT_EQ(slow_started_.get_future().wait_for(2s), std::future_status::ready);
  server_->Stop();
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->headers.at("Connection"), "close");
  EXPECT_FALSE(CanConnect(port_));
  EXPECT_EQ(run_.wait_for(2s), std::future_status::ready);
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnections) {
  Start();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/hello")));
  ASSERT_TRUE(client.Read());
  const auto start = Clock::now();
  server_->Stop();
  EXPECT_TRUE(client.WaitForClose(2s));
  EXPECT_EQ(run_.wait_for(2s), std::future_status::ready);
  EXPECT_LT(Clock::now() - start, 2s);  // well under idle_timeout and drain_timeout
}

TEST_F(ServerTest, StopBeforeRunAndTwiceIsSafe) {
  Server server(
      TestOptions(), [this](Request& request) { return router_.Dispatch(request); }, metrics_);
  ASSERT_TRUE(server.Listen().ok());
  server.Stop();
  server.Stop();
  auto run = std::async(std::launch::async, [&server] { server.Run(); });
  EXPECT_EQ(run.wait_for(2s), std::future_status::ready);
  server.Stop();
}

TEST_F(ServerTest, ServerThatNeverRanIsDestroyedCleanly) {
  Server server(
      TestOptions(), [this](Request& request) { return router_.Dispatch(request); }, metrics_);
  ASSERT_TRUE(server.Listen().ok());
  EXPECT_NE(server.port(), 0);
}

TEST_F(ServerTest, ListenOnTakenPortIsUnavailable) {
  Start();
  ServerOptions options = TestOptions();
  options.port = port_;
  Server other(
      options, [this](Request& request) { return router_.Dispatch(request); }, metrics_);
  EXPECT_EQ(other.Listen().code(), ErrorCode::kUnavailable);
}

TEST_F(ServerTest, ListenOnForeignAddressIsUnavailable) {
  ServerOptions options = TestOptions();
  options.host = "192.0.2.1";  // TEST-NET-1: never an address of this machine
  Server server(
      options, [this](Request& request) { return router_.Dispatch(request); }, metrics_);
  EXPECT_EQ(server.Listen().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tp::http
