#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <set>

#include "common/channels.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/pagination.h"
#include "common/status.h"
#include "common/templates.h"

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

TEST(Ids, DerivedFromContentAndTimeAreStableAndTimeOrdered) {
  InitCrypto();
  const std::string first = DerivedId("rsp_", 1'709'287'200'000'000, "svy_1\nid:R_1");
  EXPECT_TRUE(LooksLikeId(first, "rsp_")) << first;
  EXPECT_EQ(DerivedId("rsp_", 1'709'287'200'000'000, "svy_1\nid:R_1"), first);
  EXPECT_NE(DerivedId("rsp_", 1'709'287'200'000'000, "svy_1\nid:R_2"), first);
  // A later answer sorts after, whatever its content; the time part is NewId's.
  EXPECT_GT(DerivedId("rsp_", 1'709'287'200'001'000, "a"), first);
  EXPECT_LT(DerivedId("rsp_", 1'709'287'199'999'000, "z"), first);
  EXPECT_TRUE(LooksLikeId(DerivedId("fbk_", -5, ""), "fbk_"));
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

namespace tp {
namespace {

TEST(MoneyTest, AmountsAreExactDecimals) {
  EXPECT_EQ(*ParseAmountText("61.02", "f"), 610'200);
  EXPECT_EQ(*ParseAmountText("0.00005", "f"), 1);  // half away from zero at the fifth decimal
  EXPECT_EQ(*ParseAmountText("0.00004999", "f"), 0);
  EXPECT_EQ(*ParseAmountText("7", "f"), 70'000);
  EXPECT_EQ(*ParseAmountText(".5", "f"), 5'000);
  EXPECT_EQ(*ParseAmountText("1000000000000", "f"), kMaxAmount);
  for (const char* bad : {"", ".", "-1", "1e3", "12,50", "1000000000000.0001", "99999999999999999999", " 5", "NaN"}) {
    EXPECT_EQ(ParseAmountText(bad, "total").status().field(), "total") << bad;
  }
  EXPECT_EQ(*ParseAmountNumber(6.102, "f"), 61'020);
  EXPECT_FALSE(ParseAmountNumber(1e308, "f").ok());
  EXPECT_FALSE(ParseAmountNumber(-0.01, "f").ok());
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum = AddAmounts(sum, *ParseAmountNumber(6.102, "f"));
  EXPECT_EQ(FormatAmount(sum), "61.02");
  EXPECT_EQ(FormatAmount(3'000'000), "300.00");
  EXPECT_EQ(FormatAmount(1), "0.0001");
  EXPECT_EQ(FormatAmount(-12'345), "-1.2345");
  EXPECT_EQ(AddAmounts(std::numeric_limits<std::int64_t>::max(), 1), std::numeric_limits<std::int64_t>::max());
}

TEST(MoneyTest, CurrenciesAndRates) {
  EXPECT_EQ(*NormaliseCurrency("czk", "c"), "CZK");
  for (const char* bad : {"", "EU", "EURO", "E1R", "€"}) EXPECT_FALSE(NormaliseCurrency(bad, "c").ok()) << bad;
  const ExchangeRate rate = *ParseExchangeRate("0.0398", "r");
  EXPECT_EQ(Convert(3'000'000, rate), 119'400);
  EXPECT_EQ(Convert(1, *ParseExchangeRate("0.5", "r")), 1);  // half away from zero
  EXPECT_FALSE(ParseExchangeRate("0", "r").ok());
  EXPECT_FALSE(ParseExchangeRate("-1", "r").ok());

  const CurrencySettings defaults = *ParseCurrencySettings("{}");
  EXPECT_EQ(defaults.reporting, "EUR");
  EXPECT_EQ(defaults.RateFor("EUR")->text, "1");
  EXPECT_FALSE(defaults.RateFor("CZK").has_value());
  const CurrencySettings configured =
      *ParseCurrencySettings(R"({"currency": {"reporting": "czk", "rates": {"eur": "25.12"}}})");
  EXPECT_EQ(configured.reporting, "CZK");
  EXPECT_EQ(configured.RateFor("EUR")->scaled, 2'512'000'000);
  EXPECT_EQ(ParseCurrencySettings(R"({"currency": {"rates": {"EUR": 25.1}}})").status().field(),
            "settings.currency.rates.EUR");
  EXPECT_EQ(ParseCurrencySettings(R"({"currency": {"reporting": "euro"}})").status().field(),
            "settings.currency.reporting");
  EXPECT_EQ(ParseCurrencySettings(R"({"currency": {"reportin": "EUR"}})").status().field(),
            "settings.currency.reportin");
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

TEST(ChannelsTest, OneVocabularyWithTheSynonymsSourcesUse) {
  for (const Channel channel : AllChannels()) EXPECT_EQ(*ParseChannel(ChannelName(channel)), channel);
  EXPECT_EQ(*ParseChannel("WhatsApp"), Channel::kWhatsapp);
  EXPECT_EQ(*ParseChannel("browser"), Channel::kWeb);
  EXPECT_EQ(*ParseChannel("chat"), Channel::kWebchat);
  EXPECT_EQ(*ParseChannel("iOS"), Channel::kMobile);
  const Result<Channel> unknown = ParseChannel("fax", "properties.channel");
  EXPECT_EQ(unknown.status().field(), "properties.channel");
  EXPECT_NE(unknown.status().message().find("webchat"), std::string::npos);
}

}  // namespace
TEST(Templates, FillInPathsAndListThem) {
  const nlohmann::json context = {{"score", 3}, {"comment", "Late"}, {"customer", {{"name", "Jana"}}}};
  EXPECT_EQ(RenderTemplate("NPS {{score}} from {{ customer.name }}: {{comment}}{{missing.path}}", context),
            "NPS 3 from Jana: Late");
  EXPECT_EQ(RenderTemplate("no {{ end", context), "no {{ end");
  EXPECT_EQ(TemplatePlaceholders("Hi {{ customer.first_name }}, case {{case.id}}{{"),
            (std::vector<std::string>{"customer.first_name", "case.id"}));
  EXPECT_TRUE(TemplatePlaceholders("no placeholders").empty());
}

}  // namespace tp
