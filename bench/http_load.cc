// A small closed-loop HTTP/1.1 load generator for the customer-data benchmarks: N keep-alive connections,
// each on its own thread with a blocking socket, one request outstanding per connection. Cheap on CPU
// on purpose (it shares the machine with the server): request bodies are built before the clock starts
// and only patched in place per request.
//
//   http_load --url http://127.0.0.1:PORT --mode ingest --token TOKEN [--connections 8] [--seconds 10]
//             [--warmup 2] [--batch 100] [--users-per-batch 10] [--user-pool 100000] [--templates 64]
//   http_load --url http://127.0.0.1:PORT --mode read --token TOKEN --ids FILE [--connections 8]
//             [--seconds 10] [--warmup 2] --path '/api/v1/customers/{id}' [--path '...{id}...']...
//
// ingest: POST /v1/batch with `Authorization: Basic base64(TOKEN:)`, Segment's batch shape, BATCH
//   messages per request (10 % identify with traits, 60 % track, 30 % page) for USERS-PER-BATCH users
//   drawn at random from a pool of USER-POOL (userId "bu0001234", its anonymousId and e-mail), every
//   messageId unique (a run nonce, the connection and a per-connection counter). A request counts as
//   ok only if the answer is 200 and says "accepted": BATCH; anything else is counted as an error or a
//   short batch, so silent rejects show.
// read: per operation one random id from FILE, then each --path in order with `Authorization: Bearer
//   TOKEN`; latency is reported per path and for the whole operation; every answer must be 200.
//
// Only requests that start after the warm-up and end before its end are measured. Prints a summary and
// one machine-readable line starting "load-result".
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string url, mode, token, ids;
  std::vector<std::string> paths;
  int connections = 8, seconds = 10, warmup = 2, batch = 100, users_per_batch = 10, templates = 64;
  int user_pool = 100'000;
};

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s --url http://HOST:PORT --mode ingest|read --token TOKEN [--connections N] [--seconds N]\n"
               "       [--warmup N] [--batch N] [--users-per-batch N] [--user-pool N] [--templates N]\n"
               "       [--ids FILE --path PATH...]\n",
               program);
  std::exit(2);
}

std::string Base64(std::string_view in) {
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Rfc3339(std::time_t seconds, int millis) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return text;
}

// One keep-alive connection with a blocking socket.
class Connection {
 public:
  Connection(const sockaddr_in& address) : address_(address) {}
  ~Connection() { Close(); }

  // Sends `request` and reads one response. Returns the status (0 on a socket error) and fills body.
  int RoundTrip(const std::string& request, std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !Open()) return 0;
      if (SendAll(request)) {
        const int status = ReadResponse(body);
        if (status > 0) return status;
      }
      Close();  // the server closed an idle connection, or an error: reconnect once
      if (attempt == 0 && sent_any_) continue;
      return 0;
    }
    return 0;
  }

 private:
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) != 0) {
      Close();
      return false;
    }
    buffer_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool SendAll(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    sent_any_ = true;
    return true;
  }
  bool Fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int ReadResponse(std::string& body) {
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    const std::string_view head(buffer_.data(), header_end);
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return 0;
    const int status = std::atoi(buffer_.c_str() + 9);
    std::size_t length = 0;
    bool close_after = false;
    // Header names are case-insensitive: lower-case a copy of the header block.
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
    } else if (lower.find("\r\ntransfer-encoding:") != std::string::npos) {
      std::fprintf(stderr, "http_load: chunked responses are not supported\n");
      std::exit(1);
    }
    if (lower.find("\r\nconnection: close") != std::string::npos) close_after = true;
    const std::size_t total = header_end + 4 + length;
    while (buffer_.size() < total) {
      if (!Fill()) return 0;
    }
    body.assign(buffer_, header_end + 4, length);
    buffer_.erase(0, total);
    if (close_after) Close();
    return status;
  }

  sockaddr_in address_;
  int fd_ = -1;
  bool sent_any_ = false;
  std::string buffer_;
};

// A request body with places that are rewritten before each send.
struct Template {
  std::string text;
  std::vector<std::size_t> counter_at;                  // 16 hex digits: the request counter
  std::vector<std::pair<std::size_t, int>> user_at;     // 7 digits: the user of slot N
};

constexpr const char* kTrackNames[] = {"Product Viewed", "Product Viewed", "Product Viewed", "Product Added",
                                       "Checkout Started", "Order Completed", "Signed In", "Product List Viewed"};
constexpr const char* kCategories[] = {"shoes", "shirts", "bags", "watches", "books", "garden", "kitchen", "toys"};
constexpr const char* kPaths[] = {"/", "/products", "/cart", "/checkout", "/account", "/help", "/blog", "/pricing"};

Template BuildBatch(const Args& args, std::mt19937_64& random, const std::string& nonce) {
  Template t;
  const std::time_t now = std::time(nullptr);
  const std::string sent_at = Rfc3339(now, 0);
  std::string& s = t.text;
  s = "{\"batch\":[";
  const auto user_digits = [&](int slot) {
    t.user_at.emplace_back(s.size(), slot);
    s += "0000000";
  };
  for (int m = 0; m < args.batch; ++m) {
    const int slot = m % args.users_per_batch;
    if (m > 0) s += ',';
    const unsigned roll = static_cast<unsigned>(random() % 100);
    const char* type = roll < 10 ? "identify" : roll < 70 ? "track" : "page";
    s += "{\"type\":\"";
    s += type;
    s += "\",\"userId\":\"bu";
    user_digits(slot);
    s += "\",\"anonymousId\":\"anon-";
    user_digits(slot);
    s += "-4b1f-9c3e\",\"messageId\":\"";
    s += nonce;
    t.counter_at.push_back(s.size());
    s += "0000000000000000-";
    s += std::to_string(m);
    s += "\",\"timestamp\":\"";
    s += Rfc3339(now - static_cast<std::time_t>(random() % 60), static_cast<int>(random() % 1000));
    s += '"';
    char price[32];
    std::snprintf(price, sizeof price, "%.2f", static_cast<double>(500 + random() % 20000) / 100.0);
    if (roll < 10) {
      s += ",\"traits\":{\"email\":\"bench.user";
      user_digits(slot);
      s += "@example.com\",\"name\":\"Bench User\",\"plan\":\"pro\",\"city\":\"Praha\"}";
    } else if (roll < 70) {
      const char* name = kTrackNames[random() % 8];
      s += ",\"event\":\"";
      s += name;
      s += "\",\"properties\":{\"product_id\":\"p" + std::to_string(random() % 5000) + "\",\"category\":\"";
      s += kCategories[random() % 8];
      s += "\",\"price\":";
      s += price;
      if (std::string_view(name) == "Order Completed") {
        s += ",\"order_id\":\"o" + std::to_string(random() % 100'000'000) + "\",\"total\":";
        s += price;
      }
      s += ",\"currency\":\"EUR\"}";
    } else {
      const char* path = kPaths[random() % 8];
      s += ",\"name\":\"";
      s += path;
      s += "\",\"properties\":{\"path\":\"";
      s += path;
      s += "\",\"url\":\"https://shop.example.com";
      s += path;
      s += "\",\"referrer\":\"https://www.google.com/\",\"title\":\"Shop\"}";
    }
    s += ",\"context\":{\"library\":{\"name\":\"analytics.js\",\"version\":\"2.11.1\"},\"ip\":\"203.0.113.7\"}}";
  }
  s += "],\"sentAt\":\"" + sent_at + "\"}";
  return t;
}

std::int64_t Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

struct ThreadResult {
  std::vector<std::int64_t> latency_us;                   // whole request (ingest) or operation (read)
  std::vector<std::vector<std::int64_t>> path_latency_us;  // read: per path
  std::int64_t requests = 0, ok = 0, errors = 0, short_batches = 0, events = 0, accepted = 0, duplicates = 0;
  std::string first_error;
};

std::int64_t JsonInt(const std::string& body, std::string_view key) {
  const auto at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(body.c_str() + at + key.size(), nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++i];
    if (flag == "--url") args.url = value;
    else if (flag == "--mode") args.mode = value;
    else if (flag == "--token") args.token = value;
    else if (flag == "--ids") args.ids = value;
    else if (flag == "--path") args.paths.push_back(value);
    else if (flag == "--connections") args.connections = std::stoi(value);
    else if (flag == "--seconds") args.seconds = std::stoi(value);
    else if (flag == "--warmup") args.warmup = std::stoi(value);
    else if (flag == "--batch") args.batch = std::stoi(value);
    else if (flag == "--users-per-batch") args.users_per_batch = std::stoi(value);
    else if (flag == "--user-pool") args.user_pool = std::stoi(value);
    else if (flag == "--templates") args.templates = std::stoi(value);
    else Usage(argv[0]);
  }
  if (args.url.rfind("http://", 0) != 0 || (args.mode != "ingest" && args.mode != "read") || args.token.empty() ||
      args.connections < 1 || args.seconds < 1 || args.batch < 1 || args.users_per_batch < 1 || args.templates < 1 ||
      args.user_pool < 1 || args.user_pool > 9'999'999) {
    Usage(argv[0]);
  }
  if (args.mode == "read" && (args.ids.empty() || args.paths.empty())) Usage(argv[0]);
  const std::string host_port = args.url.substr(7, args.url.find('/', 7) == std::string::npos
                                                      ? std::string::npos
                                                      : args.url.find('/', 7) - 7);
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) Usage(argv[0]);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
  if (::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr) != 1) {
    std::fprintf(stderr, "http_load: the host must be an IPv4 address\n");
    return 2;
  }

  std::vector<std::string> ids;
  if (args.mode == "read") {
    std::ifstream in(args.ids);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
    if (ids.empty()) {
      std::fprintf(stderr, "http_load: no ids in %s\n", args.ids.c_str());
      return 1;
    }
  }
  std::random_device device;
  char nonce[16];
  std::snprintf(nonce, sizeof nonce, "b%08x-", static_cast<unsigned>(device()));

  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::seconds(args.warmup);
  const auto measure_until = measure_from + std::chrono::seconds(args.seconds);
  std::vector<ThreadResult> results(static_cast<std::size_t>(args.connections));
  std::vector<std::thread> threads;
  const std::string basic = "Authorization: Basic " + Base64(args.token + ":") + "\r\n";
  const std::string bearer = "Authorization: Bearer " + args.token + "\r\n";

  for (int c = 0; c < args.connections; ++c) {
    threads.emplace_back([&, c] {
      ThreadResult& result = results[static_cast<std::size_t>(c)];
      std::mt19937_64 random(static_cast<std::uint64_t>(c) * 7919 + 17);
      Connection connection(address);
      std::string body;
      if (args.mode == "ingest") {
        // Templates first (not timed), then: patch counter and users, prepend headers, send.
        std::vector<Template> templates;
        for (int t = 0; t < args.templates; ++t) templates.push_back(BuildBatch(args, random, nonce));
        std::uint64_t counter = static_cast<std::uint64_t>(c) << 40;
        std::string request;
        std::vector<int> users(static_cast<std::size_t>(args.users_per_batch));
        for (;;) {
          const auto begin = Clock::now();
          if (begin >= measure_until) break;
          Template& t = templates[random() % templates.size()];
          char digits[24];
          std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(counter++));
          for (std::size_t at : t.counter_at) std::memcpy(&t.text[at], digits, 16);
          for (int& user : users) user = static_cast<int>(random() % static_cast<std::uint64_t>(args.user_pool));
          for (const auto& [at, slot] : t.user_at) {
            std::snprintf(digits, sizeof digits, "%07d", users[static_cast<std::size_t>(slot)]);
            std::memcpy(&t.text[at], digits, 7);
          }
          request = "POST /v1/batch HTTP/1.1\r\nHost: " + host_port + "\r\n" + basic +
                    "Content-Type: application/json\r\nContent-Length: " + std::to_string(t.text.size()) + "\r\n\r\n";
          request += t.text;
          const int status = connection.RoundTrip(request, body);
          const auto end = Clock::now();
          if (begin < measure_from || end > measure_until) continue;
          ++result.requests;
          result.events += args.batch;
          const std::int64_t accepted = status == 200 ? JsonInt(body, "\"accepted\":") : -1;
          if (status != 200) {
            ++result.errors;
            if (result.first_error.empty()) result.first_error = std::to_string(status) + " " + body.substr(0, 300);
          } else if (accepted != args.batch) {
            ++result.short_batches;
            if (result.first_error.empty()) result.first_error = "200 " + body.substr(0, 300);
          } else {
            ++result.ok;
          }
          if (accepted > 0) result.accepted += accepted;
          if (status == 200) result.duplicates += std::max<std::int64_t>(0, JsonInt(body, "\"duplicates\":"));
          result.latency_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count());
        }
      } else {
        result.path_latency_us.resize(args.paths.size());
        std::vector<std::int64_t> path_us(args.paths.size());
        for (;;) {
          const auto begin = Clock::now();
          if (begin >= measure_until) break;
          const std::string& id = ids[random() % ids.size()];
          bool ok = true;
          for (std::size_t p = 0; p < args.paths.size(); ++p) {
            std::string path = args.paths[p];
            if (const auto at = path.find("{id}"); at != std::string::npos) path.replace(at, 4, id);
            const std::string request =
                "GET " + path + " HTTP/1.1\r\nHost: " + host_port + "\r\n" + bearer + "\r\n";
            const auto sent = Clock::now();
            const int status = connection.RoundTrip(request, body);
            path_us[p] = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
            if (status != 200) {
              ok = false;
              if (result.first_error.empty()) result.first_error = std::to_string(status) + " " + path + " " + body.substr(0, 200);
            }
          }
          const auto end = Clock::now();
          if (begin < measure_from || end > measure_until) continue;
          ++result.requests;
          ok ? ++result.ok : ++result.errors;
          result.latency_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count());
          for (std::size_t p = 0; p < args.paths.size(); ++p) result.path_latency_us[p].push_back(path_us[p]);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  ThreadResult total;
  total.path_latency_us.resize(args.paths.size());
  for (auto& r : results) {
    total.requests += r.requests;
    total.ok += r.ok;
    total.errors += r.errors;
    total.short_batches += r.short_batches;
    total.events += r.events;
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    total.latency_us.insert(total.latency_us.end(), r.latency_us.begin(), r.latency_us.end());
    for (std::size_t p = 0; p < r.path_latency_us.size(); ++p) {
      total.path_latency_us[p].insert(total.path_latency_us[p].end(), r.path_latency_us[p].begin(),
                                      r.path_latency_us[p].end());
    }
    if (total.first_error.empty()) total.first_error = r.first_error;
  }
  std::sort(total.latency_us.begin(), total.latency_us.end());
  const double seconds = args.seconds;
  if (!total.first_error.empty()) std::fprintf(stderr, "http_load: first bad answer: %s\n", total.first_error.c_str());
  std::printf("%s: %lld requests in %d s over %d connections (%.0f/s), %lld ok, %lld errors", args.mode.c_str(),
              static_cast<long long>(total.requests), args.seconds, args.connections,
              static_cast<double>(total.requests) / seconds, static_cast<long long>(total.ok),
              static_cast<long long>(total.errors));
  if (args.mode == "ingest") {
    std::printf(", %lld short batches; %lld events accepted (%.0f events/s), %lld duplicates", 
                static_cast<long long>(total.short_batches), static_cast<long long>(total.accepted),
                static_cast<double>(total.accepted) / seconds, static_cast<long long>(total.duplicates));
  }
  std::printf("\n  latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", Percentile(total.latency_us, 0.5) / 1e3,
              Percentile(total.latency_us, 0.9) / 1e3, Percentile(total.latency_us, 0.99) / 1e3,
              total.latency_us.empty() ? 0.0 : total.latency_us.back() / 1e3);
  std::printf("load-result mode=%s requests=%lld ok=%lld errors=%lld short_batches=%lld events=%lld accepted=%lld "
              "duplicates=%lld duration_us=%lld p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld",
              args.mode.c_str(), static_cast<long long>(total.requests), static_cast<long long>(total.ok),
              static_cast<long long>(total.errors), static_cast<long long>(total.short_batches),
              static_cast<long long>(total.events), static_cast<long long>(total.accepted),
              static_cast<long long>(total.duplicates), static_cast<long long>(args.seconds) * 1'000'000,
              static_cast<long long>(Percentile(total.latency_us, 0.5)),
              static_cast<long long>(Percentile(total.latency_us, 0.9)),
              static_cast<long long>(Percentile(total.latency_us, 0.99)),
              static_cast<long long>(total.latency_us.empty() ? 0 : total.latency_us.back()));
  for (std::size_t p = 0; p < total.path_latency_us.size(); ++p) {
    auto& list = total.path_latency_us[p];
    std::sort(list.begin(), list.end());
    std::printf(" path%zu_p50_us=%lld path%zu_p99_us=%lld", p, static_cast<long long>(Percentile(list, 0.5)), p,
                static_cast<long long>(Percentile(list, 0.99)));
  }
  std::printf("\n");
  return 0;
}
