#include "http/content_encoding.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "http/request.h"

namespace tp::http {
namespace {

constexpr std::string_view kField = "Content-Encoding";
constexpr int kGzipWindowBits = 15 + 16;  // a gzip wrapper, never raw deflate or zlib
constexpr std::size_t kFirstChunk = 64 * 1024;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Status Corrupt(std::string_view why) {
  return InvalidArgument("the gzip body is corrupt: " + std::string(why), std::string(kField));
}

// Owns a z_stream for inflating so that every path frees it.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&stream_, kGzipWindowBits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

Result<std::string> Gunzip(std::string_view compressed, std::size_t max_decoded_bytes) {
  if (compressed.empty()) return Corrupt("it is empty");
  Inflater inflater;
  if (!inflater.ok()) return Internal("zlib inflateInit2 failed");
  z_stream& stream = inflater.stream();
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  // zlib counts in uInt; bodies are far below 4 GiB (the server's body limit), but do not wrap.
  if (compressed.size() > static_cast<std::size_t>(static_cast<uInt>(-1))) return Corrupt("it is too large");
  stream.avail_in = static_cast<uInt>(compressed.size());

  // Grows towards max_decoded_bytes + 1: producing that one extra byte proves the body is too large
  // without ever holding more than the limit allows.
  const std::size_t capacity_limit = max_decoded_bytes + 1;
  std::string out;
  out.resize(std::min(capacity_limit, std::max(kFirstChunk, compressed.size() * 4)));
  std::size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= capacity_limit) break;
      out.resize(std::min(capacity_limit, out.size() * 2));
    }
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    const uInt before = stream.avail_out;
    const int rc = inflate(&stream, Z_NO_FLUSH);
    produced += before - stream.avail_out;
    if (rc == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      // Another gzip member may follow (RFC 1952 section 2.2); anything else is garbage.
      if (inflateReset(&stream) != Z_OK) return Internal("zlib inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      if (stream.avail_in == 0) return Corrupt("it ends before the compressed data does");
      continue;  // the output buffer was full: grow it
    }
    if (rc != Z_OK) return Corrupt(stream.msg != nullptr ? stream.msg : "inflate failed");
    if (stream.avail_in == 0 && stream.avail_out != 0) return Corrupt("it ends before the compressed data does");
  }
  if (produced > max_decoded_bytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "the gzip body decompresses to more than " + std::to_string(max_decoded_bytes) + " bytes",
                  std::string(kField));
  }
  out.resize(produced);
  return out;
}

Result<std::string> DecodeContentEncoding(const std::optional<std::string>& content_encoding, std::string body,
                                          std::size_t max_decoded_bytes) {
  const std::string_view coding = content_encoding ? Trim(*content_encoding) : std::string_view();
  if (coding.empty() || EqualsIgnoreCase(coding, "identity")) return body;
  if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) return Gunzip(body, max_decoded_bytes);
  return Status(ErrorCode::kUnsupportedMedia, "Content-Encoding must be gzip or identity", std::string(kField));
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
  return out;
}

}  // namespace tp::http
