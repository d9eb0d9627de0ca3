// The only translation unit that includes Beast.
//
// Life of a connection (all steps run on the connection's strand, except the handler):
//   idle     wait for the first byte of a request: header_timeout on a new connection,
//            idle_timeout between keep-alive requests
//   header   read and parse the header within header_timeout (limit kHeaderLimit -> 431);
//            malformed or ambiguous framing -> 400; Content-Length over body_limit -> 413 without
//            reading the body
//   admit    a request with a body is first checked from its header by the AdmitFn, on the worker
//            pool; its error is the answer, and the body is never read
//   body     100 Continue when asked for, then read the body within read_timeout; a chunked body over
//            body_limit -> 413. Uploads to spooled_prefixes go to a temporary file instead, up to
//            spooled_body_limit, while an upload slot is free (in all and for the caller)
//   dispatch the handler runs on the worker pool, so it may block; a full queue -> 503 at once
//   write    send the response within read_timeout; then idle again (keep-alive) or linger and close
// Errors found while reading are answered and the connection closed, since the rest of the stream
// cannot be trusted to start at a message boundary.
#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "http/errors.h"

namespace tp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Browsers send a few KiB of headers; 16 KiB leaves room for large cookies and tokens.
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kReadChunk = 4096;
// After answering with "Connection: close" the server keeps reading (and discarding) for a while, so
// that closing a socket with unread input does not send a reset that destroys the response before
// the client has read it (e.g. a 413 sent while the client is still uploading).
constexpr std::chrono::seconds kLingerTimeout{2};
// Accept errors such as EMFILE repeat at once; retrying immediately would spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Descriptors kept free of connections (ServerOptions::max_connections = 0): the store's connections
// and files, spooled uploads, logs, and the one accept needs to take a connection only to close it.
constexpr std::uint64_t kReservedDescriptors = 128;
// A client refused for overload may come back soon: the queue drains in well under a second.
constexpr int kOverloadedRetryAfterSeconds = 1;

std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }
beast::string_view ToBeast(std::string_view text) { return {text.data(), text.size()}; }

std::string ToUpper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

// [A-Za-z0-9._-]{1,64}: safe to echo into headers and logs.
bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// The path as the access log shows it: each segment that starts with `credential_prefix` (when not
// empty) is cut to that prefix.
std::string LoggedPath(std::string_view path, std::string_view credential_prefix) {
  if (credential_prefix.empty()) return std::string(path);
  std::string logged;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    logged += segment.starts_with(credential_prefix) ? std::string(credential_prefix) + "…" : std::string(segment);
    if (slash == std::string_view::npos) return logged;
    logged += '/';
    start = slash + 1;
  }
}

// Request ids correlate log lines; they need to be unique, not unguessable.
std::string NewRequestId() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return fmt::format("{:016x}", engine());
}

// RFC 9110 token characters, for header names.
bool IsToken(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

// A header value must not be able to end the header early (response splitting).
bool IsFieldValue(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

Status ValidateResponse(const Response& response) {
  if (response.status < 200 || response.status > 599) {
    return Internal(fmt::format("handler returned HTTP status {}", response.status));
  }
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) return Internal("handler returned an invalid header: " + name);
  }
  for (const std::string& cookie : response.set_cookies) {
    if (!IsFieldValue(cookie)) return Internal("handler returned an invalid Set-Cookie value");
  }
  return Status::Ok();
}

// Framing and connection management belong to the server, whatever a handler sets.
bool IsServerOwnedHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Date");
}

// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Formatted by hand
// because strftime's day and month names follow the locale.
std::string HttpDate() {
  constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[utc.tm_wday], utc.tm_mday, kMonths[utc.tm_mon],
                     utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

// Accepts origin-form ("/path?query") and absolute-form ("http://host/path?query"), which RFC 9112
// section 3.2.2 requires servers to accept. Fills request.path and request.query.
Status ParseTarget(std::string_view target, Request& request) {
  std::string_view path_and_query = target;
  if (!target.starts_with('/')) {
    const auto scheme_end = target.find("://");
    const std::string_view scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        !(EqualsIgnoreCase(scheme, "http") || EqualsIgnoreCase(scheme, "https"))) {
      return InvalidArgument("the request target must be a path", "path");
    }
    const auto path_start = target.find_first_of("/?", scheme_end + 3);
    path_and_query = path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
  }
  const auto query_start = path_and_query.find('?');
  std::string_view raw_path = path_and_query.substr(0, query_start);
  if (raw_path.empty()) raw_path = "/";
  Result<std::string> path = PercentDecode(raw_path, false);
  if (!path.ok()) return InvalidArgument(path.status().message() + " in the path", "path");
  request.path = std::move(path).value();
  if (query_start == std::string_view::npos) return Status::Ok();
  Result<std::multimap<std::string, std::string>> query = ParseQuery(path_and_query.substr(query_start + 1));
  if (!query.ok()) return InvalidArgument(query.status().message() + " in the query string", "query");
  request.query = std::move(query).value();
  return Status::Ok();
}

// RFC 9112 section 6.3: when the last transfer coding is not chunked the body's length is unknown, and
// Transfer-Encoding next to Content-Length may be framed differently by a proxy in front of the server;
// either way the rest of the stream may be read as another request (request smuggling), so both are
// refused. chunked is the only transfer coding the server decodes, hence the only one accepted.
Status CheckFraming(const Request& request) {
  const std::optional<std::string> codings = request.Header("Transfer-Encoding");
  if (!codings) return Status::Ok();
  if (request.Header("Content-Length")) {
    return InvalidArgument("send either Transfer-Encoding or Content-Length, not both", "Transfer-Encoding");
  }
  if (!EqualsIgnoreCase(*codings, "chunked")) {  // the parser has trimmed the value
    return InvalidArgument("Transfer-Encoding must be chunked, alone", "Transfer-Encoding");
  }
  return Status::Ok();
}

// The status for an exception that escaped a callback of the caller's; used inside a catch block.
Status UnhandledException(const Request& request) {
  try {
    throw;
  } catch (const std::exception& exception) {
    return Internal(fmt::format("request {} ({} {}): unhandled exception: {}", request.request_id, request.method,
                                request.path, exception.what()));
  } catch (...) {
    return Internal(fmt::format("request {} ({} {}): unhandled non-standard exception", request.request_id,
                                request.method, request.path));
  }
}

Status Overloaded() {
  return Status(ErrorCode::kUnavailable, "the server is overloaded; try again shortly")
      .WithRetryAfter(kOverloadedRetryAfterSeconds);
}

// A number of slots with a cap in all and a smaller one per key (a caller, a client address), so that
// no key can take every slot. Thread-safe.
class KeyedSlots {
 public:
  KeyedSlots(int total, int per_key) : total_(std::max(1, total)), per_key_(std::max(1, per_key)) {}
  KeyedSlots(const KeyedSlots&) = delete;
  KeyedSlots& operator=(const KeyedSlots&) = delete;

  // False when every slot or the key's share is taken.
  bool TryTake(const std::string& key) {
    const std::lock_guard lock(mutex_);
    if (taken_ >= total_) return false;
    int& of_key = taken_by_key_[key];
    if (of_key >= per_key_) return false;
    ++of_key;
    ++taken_;
    return true;
  }

  void Give(const std::string& key) {
    const std::lock_guard lock(mutex_);
    const auto found = taken_by_key_.find(key);
    if (found == taken_by_key_.end()) return;
    --taken_;
    if (--found->second == 0) taken_by_key_.erase(found);
  }

 private:
  const int total_;
  const int per_key_;
  std::mutex mutex_;
  int taken_ = 0;                                      // guarded by mutex_
  std::unordered_map<std::string, int> taken_by_key_;  // guarded by mutex_; no zero entries
};

int MaxConnections(const ServerOptions& options) {
  if (options.max_connections > 0) return options.max_connections;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<int>::max();
  const std::uint64_t usable =
      limit.rlim_cur > 2 * kReservedDescriptors ? limit.rlim_cur - kReservedDescriptors : limit.rlim_cur / 2;
  return static_cast<int>(std::min<std::uint64_t>(usable, std::numeric_limits<int>::max()));
}

// The "access" logger, shared by every server in the process; created on first use with a bare
// pattern so that each line is exactly one JSON document.
std::shared_ptr<spdlog::logger> AccessLogger() {
  static std::mutex creation_mutex;
  const std::lock_guard lock(creation_mutex);
  if (auto existing = spdlog::get("access")) return existing;
  auto logger = spdlog::stdout_logger_mt("access");
  logger->set_pattern("%v");
  // Its own level: --log-level tunes diagnostics, not whether requests are logged (--no-access-log does).
  logger->set_level(spdlog::level::info);
  return logger;
}

class Session;

// What the listener and every connection share. Outlives the io_context (see Server::Impl).
struct ServerContext {
  ServerContext(ServerOptions server_options, Server::Dispatch server_dispatch, Metrics& server_metrics,
                AdmitFn server_admit)
      : options(std::move(server_options)),
        dispatch(std::move(server_dispatch)),
        admit(std::move(server_admit)),
        metrics(server_metrics),
        access_log(options.access_log ? AccessLogger() : nullptr),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))),
        max_work(std::max(1, options.worker_threads) + std::max(0, options.max_queued_requests)),
        spooled_uploads(
            std::make_shared<KeyedSlots>(options.max_spooled_uploads, options.max_spooled_uploads_per_caller)),
        connections(MaxConnections(options), options.max_connections_per_address) {}

  // Takes a place among the requests handled or queued on the workers; false when none is left.
  bool TryQueueWork() {
    if (work.fetch_add(1) < max_work) return true;
    work.fetch_sub(1);
    return false;
  }
  void FinishWork() { work.fetch_sub(1); }

  bool IsUnqueued(std::string_view path) const {
    return std::find(options.unqueued_paths.begin(), options.unqueued_paths.end(), path) !=
           options.unqueued_paths.end();
  }

  void Unregister(const Session* session) {
    const std::lock_guard lock(mutex);
    sessions.erase(session);
    if (sessions.empty()) changed.notify_all();
  }

  const ServerOptions options;
  const Server::Dispatch dispatch;
  const AdmitFn admit;  // may be empty
  Metrics& metrics;
  const std::shared_ptr<spdlog::logger> access_log;  // null when access logging is off
  asio::thread_pool workers;
  asio::thread_pool unqueued_worker{1};  // options.unqueued_paths
  const int max_work;
  std::atomic<int> work{0};  // admissions and handlers running or queued on `workers`
  std::atomic<bool> draining{false};
  // Spooled uploads in progress, by caller; shared with their SpooledBody, which gives its slot back
  // when removed.
  const std::shared_ptr<KeyedSlots> spooled_uploads;
  KeyedSlots connections;  // by client address; taken on accept, given back by ~Session

  std::mutex mutex;
  std::condition_variable changed;  // a session ended, or shutdown began
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerContext& context, tcp::socket socket, std::string remote_ip)
      : context_(context), stream_(std::move(socket)), remote_ip_(std::move(remote_ip)) {}
  ~Session() {
    context_.Unregister(this);
    context_.connections.Give(remote_ip_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called on the accept strand, which also runs shutdown, so no session escapes the registry.
  void Start() {
    {
      const std::lock_guard lock(context_.mutex);
      context_.sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Shutdown: a connection between requests is closed now; one with a request in progress finishes
  // it and closes after the response (draining makes the response say "Connection: close").
  void CloseIfIdle() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kLingering) self->stream_.close();
    });
  }

 private:
  enum class Phase { kIdle, kReading, kDispatching, kWriting, kLingering };

  void WaitForRequest() {
    phase_ = Phase::kIdle;
    if (context_.draining) {
      stream_.close();
      return;
    }
    // On a new connection the header deadline starts now, so a silent client cannot wait longer
    // than a slow one.
    stream_.expires_after(requests_served_ == 0 ? context_.options.header_timeout : context_.options.idle_timeout);
    if (buffer_.size() > 0) {  // a pipelined request is already buffered
      ReadHeader();
      return;
    }
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              if (ec) return;  // timeout, peer closed, or shutdown: nothing to answer
                              self->buffer_.commit(bytes);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    started_ = Clock::now();
    if (requests_served_ > 0) stream_.expires_after(context_.options.header_timeout);
    request_ = Request{};
    request_.remote_ip = remote_ip_;
    bytes_in_ = 0;
    keep_alive_ = false;
    file_parser_.reset();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // Checked by hand once the header is in, so that a 413 can still name the request. Not
    // boost::none: Beast 1.74 compares a Content-Length against an empty limit as "too large".
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t bytes) { self->OnHeader(ec, bytes); });
  }

  void OnHeader(beast::error_code ec, std::size_t bytes) {
    bytes_in_ += bytes;
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& header = parser_->get();
    request_.method = ToUpper(ToStd(header.method_string()));
    version_ = header.version();
    keep_alive_ = header.keep_alive();
    for (const auto& field : header) {
      const std::string_view name = ToStd(field.name_string());
      const std::string_view value = ToStd(field.value());
      auto [existing, inserted] = request_.headers.emplace(name, value);
      // Repeated fields combine into one list (RFC 9110 section 5.3); cookies use their own separator.
      if (!inserted) existing->second.append(EqualsIgnoreCase(name, "Cookie") ? "; " : ", ").append(value);
    }
    const std::optional<std::string> incoming_id = request_.Header("X-Request-Id");
    request_.request_id = incoming_id && IsValidRequestId(*incoming_id) ? *incoming_id : NewRequestId();

    if (Status target = ParseTarget(ToStd(header.target()), request_); !target.ok()) {
      // The raw target for the access log, without its query: query values may be personal data (a
      // search for an e-mail), and a log line is out of erasure's reach.
      const std::string_view raw_target = ToStd(header.target());
      request_.path = std::string(raw_target.substr(0, raw_target.find('?')));
      Reject(ErrorResponse(target));
      return;
    }
    if (Status framing = CheckFraming(request_); !framing.ok()) {
      Reject(ErrorResponse(framing));
      return;
    }
    body_limit_ = IsSpooled() ? context_.options.spooled_body_limit : context_.options.body_limit;
    if (const auto length = parser_->content_length(); length && *length > body_limit_) {
      Reject(BodyTooLarge());
      return;
    }
    parser_->body_limit(body_limit_);  // still needed for chunked bodies
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    if (!context_.admit) {
      StartBody(Admission{});
      return;
    }
    if (!context_.TryQueueWork()) {
      Reject(ErrorResponse(Overloaded()));
      return;
    }
    // The strand leaves request_ alone until the verdict is posted back, as with the handler.
    asio::post(context_.workers, [self = shared_from_this()] {
      Result<Admission> admission = self->RunAdmit();
      self->context_.FinishWork();
      asio::post(self->stream_.get_executor(), [self, admission = std::move(admission)]() mutable {
        if (!admission.ok()) {
          self->Reject(ErrorResponse(admission.status()));
          return;
        }
        self->StartBody(*admission);
      });
    });
  }

  Result<Admission> RunAdmit() {
    try {
      return context_.admit(request_);
    } catch (...) {
      return UnhandledException(request_);
    }
  }

  // The request may have its body: takes an upload slot for a spooled one, and tells a client that
  // waits for it (Expect: 100-continue) to send it.
  void StartBody(const Admission& admission) {
    if (IsSpooled()) {
      if (Status started = StartSpooling(admission.caller.empty() ? remote_ip_ : admission.caller); !started.ok()) {
        Reject(ErrorResponse(started));
        return;
      }
    }
    const std::optional<std::string> expect = request_.Header("Expect");
    if (version_ >= 11 && expect && EqualsIgnoreCase(*expect, "100-continue")) {
      SendContinue();
      return;
    }
    ReadBody();
  }

  // The client waits for this before sending its body (RFC 9110 section 10.1.1).
  void SendContinue() {
    stream_.expires_after(context_.options.read_timeout);
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec) self->ReadBody();
                      });
  }

  bool IsSpooled() const {
    if (request_.method != "POST" && request_.method != "PUT") return false;
    return std::any_of(context_.options.spooled_prefixes.begin(), context_.options.spooled_prefixes.end(),
                       [this](const std::string& prefix) { return request_.path.starts_with(prefix); });
  }

  // Continues with a parser that writes the body to a new temporary file (removed with the request).
  Status StartSpooling(const std::string& caller) {
    const std::shared_ptr<KeyedSlots> uploads = context_.spooled_uploads;
    if (!uploads->TryTake(caller)) {
      return Status(ErrorCode::kUnavailable, "too many uploads in progress; try again shortly").WithRetryAfter(5);
    }
    std::string path = context_.options.spool_directory + "/touchpoint-upload-XXXXXX";
    const int descriptor = mkstemp(path.data());
    if (descriptor < 0) {
      uploads->Give(caller);
      spdlog::error("cannot create an upload file in {}: {}", context_.options.spool_directory, std::strerror(errno));
      return Unavailable("the server cannot store the upload now; try again later").WithRetryAfter(30);
    }
    request_.spooled_body = std::shared_ptr<SpooledBody>(new SpooledBody(path), [uploads, caller](SpooledBody* body) {
      uploads->Give(caller);  // first, so that a caller who sees the file gone finds the slot free
      delete body;
    });
    beast::file file;
    file.native_handle(descriptor);
    file_parser_.emplace(std::move(*parser_));
    parser_.reset();
    beast::error_code ec;
    file_parser_->get().body().reset(std::move(file), ec);
    if (ec) return Internal(fmt::format("cannot use the upload file {}: {}", path, ec.message()));
    file_parser_->body_limit(body_limit_);
    return Status::Ok();
  }

  void ReadBody() {
    stream_.expires_after(context_.options.read_timeout);
    auto on_read = [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
      self->bytes_in_ += bytes;
      if (ec) {
        self->OnReadError(ec);
        return;
      }
      self->Dispatch();
    };
    if (file_parser_) {
      bhttp::async_read(stream_, buffer_, *file_parser_, std::move(on_read));
    } else {
      bhttp::async_read(stream_, buffer_, *parser_, std::move(on_read));
    }
  }

  Response BodyTooLarge() const {
    return ErrorResponse(Status(ErrorCode::kPayloadTooLarge, fmt::format("the body is limited to {} bytes", body_limit_)));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      Response response = ErrorResponse(
          Status(ErrorCode::kPayloadTooLarge, fmt::format("the request header is limited to {} bytes", kHeaderLimit)));
      response.status = 431;
      Reject(std::move(response));
    } else if (ec == bhttp::error::body_limit) {
      Reject(BodyTooLarge());
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      Reject(ErrorResponse(InvalidArgument(fmt::format("malformed HTTP request: {}", ec.message()))));
    }
    // Anything else (timeout, reset, the client closing mid-message) leaves nobody to answer: dropping
    // the last reference to the session closes the socket.
  }

  // Answers an error found while reading and closes the connection afterwards.
  void Reject(Response response) {
    keep_alive_ = false;
    if (request_.request_id.empty()) request_.request_id = NewRequestId();
    Respond(std::move(response));
  }

  void Dispatch() {
    if (file_parser_) {
      file_parser_.reset();  // closes the file; request_.spooled_body names it
    } else {
      request_.body = std::move(parser_->get().body());
    }
    phase_ = Phase::kDispatching;
    const bool unqueued = context_.IsUnqueued(request_.path);
    if (!unqueued && !context_.TryQueueWork()) {
      Respond(ErrorResponse(Overloaded()));
      return;
    }
    // The strand is not touched while the handler runs: request_ belongs to the worker until the
    // response is posted back.
    asio::post(unqueued ? context_.unqueued_worker : context_.workers, [self = shared_from_this(), unqueued] {
      Response response = self->RunHandler();
      if (!unqueued) self->context_.FinishWork();
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Respond(std::move(response)); });
    });
  }

  Response RunHandler() {
    try {
      return context_.dispatch(request_);
    } catch (...) {
      return ErrorResponse(UnhandledException(request_));
    }
  }

  void Respond(Response response) {
    phase_ = Phase::kWriting;
    if (Status valid = ValidateResponse(response); !valid.ok()) {
      response = ErrorResponse(Internal(fmt::format("request {}: {}", request_.request_id, valid.message())));
    }
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) {
      if (!IsServerOwnedHeader(name)) response_.set(ToBeast(name), ToBeast(value));
    }
    for (const std::string& cookie : response.set_cookies) response_.insert(bhttp::field::set_cookie, ToBeast(cookie));
    response_.set(bhttp::field::date, HttpDate());
    response_.set("X-Request-Id", ToBeast(request_.request_id));
    response_.set("X-Content-Type-Options", "nosniff");
    if (!response.headers.contains(std::string_view("Cache-Control")))
      response_.set(bhttp::field::cache_control, "no-store");
    // RFC 9110 section 8.6: no Content-Length on 204 and 304, which never have a body. A HEAD
    // response announces the length the GET body would have.
    if (response.status != 204 && response.status != 304) {
      response_.content_length(response.body.size());
      if (request_.method != "HEAD") response_.body() = std::move(response.body);
    }
    response_.keep_alive(keep_alive_ && !context_.draining);
    // A client that does not read its response cannot hold the connection forever.
    stream_.expires_after(context_.options.read_timeout);
    bhttp::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
      self->OnWritten(ec, bytes);
    });
  }

  void OnWritten(beast::error_code ec, std::size_t bytes_out) {
    Record(bytes_out);
    // Answered: the upload's file and slot go now, not when (if ever) this connection sends again.
    request_.spooled_body.reset();
    if (ec) return;
    if (!response_.keep_alive()) {
      Linger();
      return;
    }
    ++requests_served_;
    WaitForRequest();
  }

  void Record(std::size_t bytes_out) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    const int status = response_.result_int();
    context_.metrics.ObserveRequest(request_.route.empty() ? "unmatched" : request_.route, request_.method, status,
                                    seconds);
    if (!context_.access_log) return;
    const nlohmann::json line = {
        {"ts", FormatTimestamp(NowMicros())},
        {"request_id", request_.request_id},
        {"method", request_.method},
        {"path", LoggedPath(request_.path, context_.options.credential_segment_prefix)},
        {"route", request_.route},
        {"status", status},
        {"duration_ms", seconds * 1000},
        {"bytes_in", bytes_in_},
        {"bytes_out", bytes_out},
        {"remote_ip", request_.remote_ip},
        {"user_agent", request_.Header("User-Agent").value_or("")},
    };
    // Paths and user agents come from the client and need not be UTF-8.
    context_.access_log->info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  // Half-closes, then discards input until the client closes or kLingerTimeout passes. A draining
  // server closes at once instead: shutdown should not wait on clients that keep their sockets open.
  void Linger() {
    if (context_.draining) {
      stream_.close();
      return;
    }
    phase_ = Phase::kLingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::min<Clock::duration>(kLingerTimeout, context_.options.read_timeout));
    Discard();
  }

  void Discard() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->Discard();
                            });
  }

  ServerContext& context_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const std::string remote_ip_;
  Phase phase_ = Phase::kIdle;
  std::size_t requests_served_ = 0;

  // The request in progress.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> file_parser_;  // instead of parser_ when spooled
  std::uint64_t body_limit_ = 0;
  Request request_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  Clock::time_point started_;
  std::size_t bytes_in_ = 0;
  bhttp::response<bhttp::string_body> response_;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Dispatch dispatch, Metrics& metrics, AdmitFn admit)
      : context_(std::move(options), std::move(dispatch), metrics, std::move(admit)),
        io_context_(std::max(1, context_.options.io_threads)),
        accept_strand_(asio::make_strand(io_context_)),
        acceptor_(accept_strand_),
        accept_retry_timer_(accept_strand_),
        stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        stop_watch_(accept_strand_) {
    if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    stop_watch_.assign(stop_fd_);
  }

  ~Impl() {
    Stop();
    // Handlers still running (possible only after the drain timeout) may use what the caller owns;
    // wait for them before anything is torn down.
    context_.workers.join();
    context_.unqueued_worker.join();
  }

  Status Listen() {
    if (acceptor_.is_open()) return FailedPrecondition("the server is already listening");
    const ServerOptions& options = context_.options;
    beast::error_code ec;
    tcp::resolver resolver(io_context_);
    const auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                            tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) {
      return InvalidArgument(fmt::format("cannot resolve listen address {}: {}", options.host, ec.message()), "host");
    }
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
    if (ec) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      return Unavailable(fmt::format("cannot listen on {}:{}: {}", options.host, options.port, ec.message()));
    }
    return Status::Ok();
  }

  std::uint16_t port() const { return port_; }

  void Run() {
    // Handlers run outside the io_context; without this it could run out of work and return while a
    // response is still being computed.
    auto work = asio::make_work_guard(io_context_);
    if (acceptor_.is_open()) Accept();
    stop_watch_.async_wait(asio::posix::descriptor_base::wait_read, [this](beast::error_code ec) {
      if (!ec) BeginShutdown();
    });
    std::vector<std::thread> threads;
    for (int thread_index = 0; thread_index < std::max(1, context_.options.io_threads); ++thread_index) {
      threads.emplace_back([this] { io_context_.run(); });
    }
    {
      std::unique_lock lock(context_.mutex);
      context_.changed.wait(lock, [this] { return shutdown_begun_; });
      if (!context_.changed.wait_until(lock, drain_deadline_, [this] { return context_.sessions.empty(); })) {
        spdlog::warn("http server: {} connection(s) still busy after the drain timeout; closing them",
                     context_.sessions.size());
      }
    }
    io_context_.stop();
    for (std::thread& thread : threads) thread.join();
  }

  // Only an atomic exchange and write(2), both async-signal-safe; the io threads do the rest.
  void Stop() {
    if (stop_requested_.exchange(true)) return;
    const std::uint64_t one = 1;
    // Adding 1 to a fresh eventfd counter cannot fail, and a signal path has no one to report to.
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
  }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free, "Stop() must stay async-signal-safe");

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_context_), [this](beast::error_code ec, tcp::socket socket) {
      if (context_.draining) return;
      if (ec) {
        spdlog::warn("http server: accept failed: {}", ec.message());
        accept_retry_timer_.expires_after(kAcceptRetryDelay);
        accept_retry_timer_.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && !context_.draining) Accept();
        });
        return;
      }
      beast::error_code endpoint_ec;
      const tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
      if (endpoint_ec) {  // the peer is already gone
        Accept();
        return;
      }
      std::string address = remote.address().to_string();
      // Over the cap the socket closes here, at once: holding it would spend the descriptors that the
      // cap is there to keep free.
      if (context_.connections.TryTake(address)) {
        std::make_shared<Session>(context_, std::move(socket), std::move(address))->Start();
      } else {
        spdlog::debug("http server: refused a connection from {}: too many connections", address);
      }
      Accept();
    });
  }

  // Runs on the accept strand.
  void BeginShutdown() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    std::vector<std::shared_ptr<Session>> open_sessions;
    {
      const std::lock_guard lock(context_.mutex);
      context_.draining = true;
      shutdown_begun_ = true;
      drain_deadline_ = Clock::now() + context_.options.drain_timeout;
      for (const auto& [key, session] : context_.sessions) {
        if (auto alive = session.lock()) open_sessions.push_back(std::move(alive));
      }
    }
    context_.changed.notify_all();
    for (const auto& session : open_sessions) session->CloseIfIdle();
  }

  // Declared first so it is destroyed last: sessions still queued in the io_context unregister from it
  // when the io_context is destroyed.
  ServerContext context_;
  bool shutdown_begun_ = false;       // guarded by context_.mutex
  Clock::time_point drain_deadline_;  // guarded by context_.mutex
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stop_requested_{false};

  asio::io_context io_context_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  const int stop_fd_;  // eventfd written by Stop(); owned by stop_watch_
  asio::posix::stream_descriptor stop_watch_;
};

Server::Server(ServerOptions options, Dispatch dispatch, Metrics& metrics, AdmitFn admit)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(dispatch), metrics, std::move(admit))) {}

Server::~Server() = default;

Status Server::Listen() { return impl_->Listen(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

std::uint64_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace tp::http
