#include <gtest/gtest.h>

#include <set>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/pagination.h"
#include "common/status.h"

namespace tp {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgument("odd", "value");
  return value / 2;
}

Result<int> Quarter(int value) {
  TP_ASSIGN_OR_RETURN(int half, Half(value));
  TP_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(Result, PropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(odd.status().field(), "value");
}

TEST(Ids, AreUniqueTimeOrderedAndRecognisable) {
  InitCrypto();
  std::set<std::string> seen;
  std::string previous;
  for (int iteration = 0; iteration < 1000; ++iteration) {
    std::string id = NewId("usr_");
    EXPECT_TRUE(LooksLikeId(id, "usr_")) << id;
    EXPECT_TRUE(seen.insert(id).second);
    EXPECT_GT(id, previous);
    previous = id;
  }
  EXPECT_FALSE(LooksLikeId("usr_../../etc/passwd", "usr_"));
  EXPECT_FALSE(LooksLikeId(NewId("key_"), "usr_"));
}

TEST(Clock, FormatsAndParsesRfc3339) {
  auto parsed = ParseTimestamp("2026-11-25T18:20:00.123Z");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(FormatTimestamp(*parsed), "2026-11-25T18:20:00.123Z");
  EXPECT_EQ(*ParseTimestamp("2026-11-25T19:20:00+01:00"), *ParseTimestamp("2026-11-25T18:20:00Z"));
  EXPECT_FALSE(ParseTimestamp("2026-11-25T18:20:00"));
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2026-13-01"));
}

TEST(Crypto, HashesAndComparesSecrets) {
  InitCrypto();
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "sane"));
  EXPECT_NE(RandomToken(), RandomToken());
  EXPECT_EQ(RandomToken(32).size(), 43u);
}

TEST(Crypto, Base64RoundTripsRfc4648VectorsPaddedOrNot) {
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("tpk_a:"), "dHBrX2E6");
  std::string decoded;
  ASSERT_TRUE(Base64Decode("Zm9vYg==", decoded));
  EXPECT_EQ(decoded, "foob");
  ASSERT_TRUE(Base64Decode("Zm9vYg", decoded));
  EXPECT_EQ(decoded, "foob");
  EXPECT_FALSE(Base64Decode("Zm9v!g==", decoded));
  EXPECT_FALSE(Base64Decode("Zm9vY", decoded));
  EXPECT_FALSE(Base64Decode("Zm9vYg==x", decoded));
}

TEST(Crypto, Base32RoundTripsRfc4648Vectors) {
  const std::string text = "foobar";
  std::string encoded = Base32Encode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  EXPECT_EQ(encoded, "MZXW6YTBOI");
  std::string decoded;
  ASSERT_TRUE(Base32Decode("mzxw 6ytb oi======", decoded));
  EXPECT_EQ(decoded, "foobar");
  EXPECT_FALSE(Base32Decode("not base32!", decoded));
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {
TEST(Pagination, CursorRoundTripsAndLimitsAreChecked) {
  auto page = PageRequest::Parse(EncodeCursor("usr_01ABC"), "10");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->after_id, "usr_01ABC");
  EXPECT_EQ(page->limit, 10);
  EXPECT_EQ(PageRequest::Parse(std::nullopt, "0").status().field(), "limit");
  EXPECT_EQ(PageRequest::Parse(std::nullopt, "abc").status().field(), "limit");
  EXPECT_EQ(PageRequest::Parse("!!!", std::nullopt).status().field(), "cursor");
  EXPECT_EQ(PageRequest::Parse(EncodeCursor("x' OR 1=1"), std::nullopt).status().field(), "cursor");
  std::vector<int> items{1, 2, 3};
  auto made = MakePage(items, 2, [](int item) { return std::to_string(item); });
  EXPECT_EQ(made.items.size(), 2u);
  EXPECT_EQ(made.next_cursor, EncodeCursor("2"));
}
}  // namespace
}  // namespace tp
