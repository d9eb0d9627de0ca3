#include "identity/totp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>

#include "common/crypto.h"

namespace tp::identity {
namespace {

constexpr Micros kSecond = 1'000'000;
// RFC 6238 appendix B: the SHA-1 key is the ASCII string "12345678901234567890".
constexpr std::string_view kRfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

class Totp : public ::testing::Test {
 protected:
  Totp() { InitCrypto(); }
};

TEST_F(Totp, MatchesTheRfc6238Sha1Vectors) {
  // The RFC lists 8-digit codes; a 6-digit code is the same number modulo 10^6.
  const struct {
    std::int64_t seconds;
    std::string_view code;
  } kVectors[] = {{59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
                  {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}};
  for (const auto& vector : kVectors) {
    EXPECT_EQ(TotpCode(kRfcSecret, vector.seconds * kSecond), vector.code) << vector.seconds;
  }
}

// Runs oathtool (Debian package oathtool) and returns its first output line, or "" when it cannot run.
std::string Oathtool(const std::string& arguments) {
  const std::string command = "oathtool " + arguments + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::array<char, 128> line{};
  if (std::fgets(line.data(), static_cast<int>(line.size()), pipe.get()) == nullptr) return {};
  std::string output(line.data());
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

std::string UtcText(Micros at) {
  const std::time_t seconds = static_cast<std::time_t>(at / kSecond);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

TEST_F(Totp, AgreesWithOathtool) {
  if (Oathtool("--version").empty()) GTEST_SKIP() << "oathtool is not installed (apt-get install oathtool)";
  EXPECT_EQ(Oathtool("--totp -b --now '2026-01-01 00:00:00 UTC' " + std::string(kRfcSecret)),
            TotpCode(kRfcSecret, 1'767'225'600 * kSecond));
  for (int secret_idx = 0; secret_idx < 3; ++secret_idx) {
    const std::string secret = NewTotpSecret();
    for (const Micros at : {Micros{0}, 1'767'225'600 * kSecond, 1'767'225'629 * kSecond, 1'800'000'017 * kSecond}) {
      EXPECT_EQ(Oathtool("--totp -b --now '" + UtcText(at) + "' " + secret), TotpCode(secret, at))
          << secret << " at " << UtcText(at);
    }
    // Without --now oathtool uses its own clock; the step may tick between the two calls.
    const Micros now = NowMicros();
    EXPECT_TRUE(MatchTotp(secret, Oathtool("--totp -b " + secret), now, 0).has_value()) << secret;
  }
}

TEST_F(Totp, AcceptsOneStepOfDriftEitherSide) {
  const Micros now = 1'767'225'615 * kSecond;
  const std::int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now), now, 0), step);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - 30 * kSecond), now, 0), step - 1);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now + 30 * kSecond), now, 0), step + 1);
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - 60 * kSecond), now, 0));
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now + 60 * kSecond), now, 0));
}

TEST_F(Totp, RefusesAReplayedCode) {
  const Micros now = 1'767'225'615 * kSecond;
  const std::string code = TotpCode(kRfcSecret, now);
  const std::optional<std::int64_t> step = MatchTotp(kRfcSecret, code, now, 0);
  ASSERT_TRUE(step);
  EXPECT_FALSE(MatchTotp(kRfcSecret, code, now, *step));
  EXPECT_FALSE(MatchTotp(kRfcSecret, code, now + 20 * kSecond, *step));
  // An older code cannot be used once a newer one was.
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - 30 * kSecond), now, *step));
}

TEST_F(Totp, RejectsMalformedCodesAndSecrets) {
  const Micros now = 59 * kSecond;
  EXPECT_TRUE(MatchTotp(kRfcSecret, "287 082", now, 0));
  for (std::string_view code : {"", "28708", "2870820", "28708a", "-87082", "287082\n"}) {
    EXPECT_FALSE(MatchTotp(kRfcSecret, code, now, 0)) << code;
  }
  EXPECT_FALSE(MatchTotp("not base32!", "287082", now, 0));
  EXPECT_EQ(TotpCode("", now), "");
}

TEST_F(Totp, NewSecretsAreTwentyRandomBytes) {
  const std::string secret = NewTotpSecret();
  EXPECT_EQ(secret.size(), 32u);
  std::string bytes;
  ASSERT_TRUE(Base32Decode(secret, bytes));
  EXPECT_EQ(bytes.size(), 20u);
  EXPECT_NE(NewTotpSecret(), secret);
}

TEST_F(Totp, UriFollowsTheKeyUriFormat) {
  EXPECT_EQ(TotpUri("touchpoint (acme)", "ana+cx@acme.example", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/touchpoint%20%28acme%29:ana%2Bcx%40acme.example?secret=JBSWY3DPEHPK3PXP"
            "&issuer=touchpoint%20%28acme%29&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace tp::identity
