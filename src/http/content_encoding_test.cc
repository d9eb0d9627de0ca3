// Content-Encoding of request bodies: gzip round trips, limits, corrupt input and other codings.
#include "http/content_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace tp::http {
namespace {

TEST(ContentEncoding, AbsentOrIdentityLeavesTheBodyAlone) {
  EXPECT_EQ(*DecodeContentEncoding(std::nullopt, "{}", 10), "{}");
  EXPECT_EQ(*DecodeContentEncoding(" Identity ", "{}", 10), "{}");
  EXPECT_EQ(*DecodeContentEncoding("", "{}", 10), "{}");
}

TEST(ContentEncoding, GzipRoundTripsWhateverTheCase) {
  const std::string text = R"({"batch":[{"type":"track","event":"Order Completed"}]})";
  EXPECT_EQ(*DecodeContentEncoding("gzip", Gzip(text), 1000), text);
  EXPECT_EQ(*DecodeContentEncoding("GZIP", Gzip(text), 1000), text);
  EXPECT_EQ(*DecodeContentEncoding("x-gzip", Gzip(text), 1000), text);
  const std::string big(300'000, 'x');  // several growth steps of the output buffer
  EXPECT_EQ(*Gunzip(Gzip(big), big.size()), big);
  EXPECT_EQ(*Gunzip(Gzip(""), 10), "");
}

TEST(ContentEncoding, ConcatenatedMembersAreOneBody) {
  EXPECT_EQ(*Gunzip(Gzip("hello ") + Gzip("world"), 100), "hello world");
}

TEST(ContentEncoding, ABombStopsAtTheLimit) {
  const std::string bomb = Gzip(std::string(20 << 20, '\0'));  // 20 MiB of zeros in ~20 KiB
  ASSERT_LT(bomb.size(), 64u << 10);
  auto decoded = Gunzip(bomb, 1 << 20);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(decoded.status().field(), "Content-Encoding");
  // Exactly at the limit is fine; one byte over is not.
  EXPECT_TRUE(Gunzip(Gzip(std::string(1000, 'a')), 1000).ok());
  EXPECT_EQ(Gunzip(Gzip(std::string(1001, 'a')), 1000).status().code(), ErrorCode::kPayloadTooLarge);
}

TEST(ContentEncoding, CorruptTruncatedOrTrailingGarbageIsInvalid) {
  const std::string good = Gzip(std::string(5000, 'a') + "tail");
  EXPECT_EQ(Gunzip("not gzip at all", 100).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Gunzip("", 100).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Gunzip(good.substr(0, good.size() / 2), 100'000).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Gunzip(good.substr(0, good.size() - 4), 100'000).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Gunzip(good + "garbage", 100'000).status().code(), ErrorCode::kInvalidArgument);
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x55;  // the CRC-32 no longer matches
  EXPECT_EQ(Gunzip(flipped, 100'000).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ContentEncoding, OtherCodingsAreUnsupported) {
  for (const char* coding : {"deflate", "br", "compress", "gzip, identity", "zstd"}) {
    auto decoded = DecodeContentEncoding(coding, "x", 100);
    ASSERT_FALSE(decoded.ok()) << coding;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedMedia) << coding;
  }
}

}  // namespace
}  // namespace tp::http
