// An asynchronous HTTP/1.1 server. Connections are read and written on a small pool of I/O threads;
// each complete request is handed to `dispatch` on a separate worker pool, so handlers may block on
// the store without stalling other connections.
//
// Protection built in: request bodies over `body_limit` get 413 without being read; a client that
// does not finish its headers within `header_timeout` or its body within `read_timeout` is
// disconnected (no slowloris); idle keep-alive connections close after `idle_timeout`. Requests beyond
// what the workers can queue get 503 at once; connections beyond a cap per client address or in all
// are closed as soon as they are accepted. A request whose framing is ambiguous (Transfer-Encoding
// other than chunked, or with Content-Length) gets 400 and the connection closes (no smuggling).
//
// Shutdown: Stop() stops accepting, lets in-flight requests finish and answer (up to
// `drain_timeout`), closes idle connections, then Run() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/metrics.h"
#include "http/request.h"

namespace tp::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see Server::port()
  std::size_t body_limit = 1 << 20;
  // Routes whose uploads may be large (CSV imports): a POST or PUT whose path starts with one of these
  // is written to a temporary file in `spool_directory` (Request::spooled_body), up to
  // `spooled_body_limit` bytes, so that memory stays bounded whatever the file size. The file is
  // written after the admit check (see Server) but before the handler runs, hence the caps below.
  std::vector<std::string> spooled_prefixes;
  std::uint64_t spooled_body_limit = std::uint64_t{4} << 30;
  std::string spool_directory = "/tmp";
  // Uploads being spooled or handled at once; more are answered 503 with Retry-After, so that clients
  // cannot fill the disk faster than imports drain it. One caller (Admission::caller, else the client
  // address) holds at most `max_spooled_uploads_per_caller` of them, so it cannot take them all.
  int max_spooled_uploads = 4;
  int max_spooled_uploads_per_caller = 2;
  // Requests waiting for a free worker; one more is answered 503 with Retry-After at once, instead of
  // waiting in an unbounded queue until its client has given up.
  int max_queued_requests = 256;
  // Requests to these paths (health checks) run on a thread of their own, outside the workers' queue
  // and its bound, so that they are answered while the workers are saturated.
  std::vector<std::string> unqueued_paths;
  // Open connections per client address and in all; a connection beyond either is closed once
  // accepted. 0 for `max_connections` means the descriptor limit (RLIMIT_NOFILE) less a reserve for
  // the store, spool files and accepting itself, which must never run out of descriptors.
  int max_connections_per_address = 256;
  int max_connections = 0;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{20'000};
  int io_threads = 2;
  int worker_threads = 8;
  bool access_log = true;
  // Path segments that start with this are credentials (API keys that trackers put in their URL): the
  // access log shows the prefix only. Empty: no segment is one.
  std::string credential_segment_prefix;
};

class Server {
 public:
  using Dispatch = std::function<Response(Request&)>;

  // `admit`, when set, sees each request that has a body before the body is read (on the worker
  // pool, with the header only): an error it returns is the answer, sent without reading the body and
  // without 100 Continue. Throws std::system_error only when the process is out of file descriptors
  // (Stop() needs one). The destructor waits for handlers that are still running.
  Server(ServerOptions options, Dispatch dispatch, Metrics& metrics, AdmitFn admit = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; fails with kUnavailable when the address is taken.
  Status Listen();
  std::uint16_t port() const;
  // Serves until Stop(); returns after in-flight requests have been answered. Serves once: a server
  // that has stopped cannot be run again.
  void Run();
  // Thread-safe and async-signal-safe to call from a signal-handling thread.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises the soft limit on open file descriptors to the hard limit (every connection takes one) and
// returns the soft limit in force afterwards. Meant for the start of the process.
std::uint64_t RaiseDescriptorLimit();

}  // namespace tp::http
