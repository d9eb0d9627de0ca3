#include "common/pagination.h"

#include <sodium.h>

#include <charconv>

namespace tp {

std::string EncodeCursor(std::string_view last_id) {
  std::string encoded(sodium_base64_ENCODED_LEN(last_id.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(last_id.data()),
                    last_id.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(encoded.find('\0'));
  return encoded;
}

Result<PageRequest> PageRequest::Parse(std::optional<std::string_view> cursor,
                                       std::optional<std::string_view> limit) {
  PageRequest request;
  if (limit) {
    int value = 0;
    auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (error != std::errc() || end != limit->data() + limit->size() || value < 1 || value > kMaxLimit) {
      return InvalidArgument("limit must be an integer from 1 to " + std::to_string(kMaxLimit), "limit");
    }
    request.limit = value;
  }
  if (cursor && !cursor->empty()) {
    if (cursor->size() > 200) return InvalidArgument("cursor is not valid", "cursor");
    std::string decoded(cursor->size(), '\0');
    size_t decoded_size = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), cursor->data(),
                          cursor->size(), nullptr, &decoded_size, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
      return InvalidArgument("cursor is not valid", "cursor");
    }
    decoded.resize(decoded_size);
    for (char c : decoded) {
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':')) {
        return InvalidArgument("cursor is not valid", "cursor");
      }
    }
    request.after_id = std::move(decoded);
  }
  return request;
}

}  // namespace tp
