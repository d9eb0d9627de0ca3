// Request bodies a client compressed (Content-Encoding, RFC 9110 section 8.4). Only gzip is accepted
// (Segment's libraries can send it); the decompressed size is bounded, so a small "gzip bomb" costs at
// most `max_decoded_bytes` of memory before it is refused.
//
//   TP_ASSIGN_OR_RETURN(request.body, DecodeContentEncoding(request.Header("Content-Encoding"),
//                                                           std::move(request.body), 8 << 20));
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp::http {

// Absent, empty or "identity": `body` unchanged. "gzip" or "x-gzip" (case-insensitive): the
// decompressed body. Errors: more than `max_decoded_bytes` → kPayloadTooLarge; corrupt, truncated or
// trailing garbage → kInvalidArgument; any other coding (deflate, br, a list of codings) →
// kUnsupportedMedia. Every error names the field "Content-Encoding".
Result<std::string> DecodeContentEncoding(const std::optional<std::string>& content_encoding, std::string body,
                                          std::size_t max_decoded_bytes);

// Decompresses gzip data (RFC 1952, one member or several concatenated) to at most `max_decoded_bytes`.
Result<std::string> Gunzip(std::string_view compressed, std::size_t max_decoded_bytes);
// Compresses `data` as one gzip member (tests and clients).
std::string Gzip(std::string_view data);

}  // namespace tp::http
