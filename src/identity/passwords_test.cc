#include "identity/passwords.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace tp::identity {
namespace {

class Passwords : public ::testing::Test {
 protected:
  Passwords() { InitCrypto(); }
};

TEST_F(Passwords, HashIsArgon2idAndVerifies) {
  const std::string hash = HashPassword("correct horse battery", PasswordHashLimits::Minimum());
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST_F(Passwords, SaltsEveryHash) {
  EXPECT_NE(HashPassword("correct horse battery", PasswordHashLimits::Minimum()),
            HashPassword("correct horse battery", PasswordHashLimits::Minimum()));
}

TEST_F(Passwords, DefaultCostIsLibsodiumInteractive) {
  const std::string hash = HashPassword("correct horse battery");
  EXPECT_NE(hash.find("$m=65536,t=2,p=1$"), std::string::npos) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery"));
}

TEST_F(Passwords, VerifyRejectsWhatIsNotAHash) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("correct horse battery", "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(std::string(500, '$'), "x"));
}

TEST_F(Passwords, PolicyAcceptsReasonablePasswords) {
  EXPECT_TRUE(ValidateNewPassword("0123456789").ok());
  EXPECT_TRUE(ValidateNewPassword("correct horse battery").ok());
  EXPECT_TRUE(ValidateNewPassword("žluťoučký kůň").ok());
  EXPECT_TRUE(ValidateNewPassword(std::string(255, 'a') + "b").ok());
}

TEST_F(Passwords, PolicyRejectsWeakPasswordsNamingTheField) {
  const std::string too_long = std::string(256, 'a') + "b";
  for (const std::string& weak : {std::string(""), std::string("short"), std::string("012345678"),
                                  std::string("ééééééééé"),  // 9 characters, 18 bytes
                                  too_long, std::string("aaaaaaaaaaaaaaa"), std::string("ččččččččččč"),
                                  std::string("abcdefghi\xff"), std::string("abcdefghi\xc3\x28"),
                                  std::string("abcdefghi\xed\xa0\x80")}) {
    const Status status = ValidateNewPassword(weak);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << weak;
    EXPECT_EQ(status.field(), "password") << weak;
  }
}

}  // namespace
}  // namespace tp::identity
