#include "profiles/contact_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tp::profiles {
namespace {

using nlohmann::json;

TEST(ContactDataTest, KeysMatchWhateverTheirCaseAndSeparators) {
  const ContactDataClassifier classifier;
  for (const char* key :
       {"email",       "Email",          "E-Mail",      "work_email", "emailAddress",  "phone",    "phone_number",
        "phoneNumber", "Phone-Number",   "mobile",      "MOBILE_2",   "whatsapp",      "WhatsApp", "telegram",
        "address",     "billingAddress", "postal_code", "telefon",    "mobilni_cislo", "adresa"}) {
    EXPECT_TRUE(classifier.IsContactKey(key)) << key;
  }
  for (const char* key : {"plan", "city", "name", "order_id", "channel", "source"}) {
    EXPECT_FALSE(classifier.IsContactKey(key)) << key;
  }
  const ContactDataClassifier tenant({"IBAN", "national_id"});
  EXPECT_TRUE(tenant.IsContactKey("iban"));
  EXPECT_TRUE(tenant.IsContactKey("customerIban"));
  EXPECT_TRUE(tenant.IsContactKey("National-ID"));
  EXPECT_FALSE(classifier.IsContactKey("iban"));
  EXPECT_EQ(tenant.extra_keys(), (std::vector<std::string>{"iban", "nationalid"}));
}

TEST(ContactDataTest, TextsThatAreAddressesOrNumbers) {
  for (const char* text :
       {"jana@example.cz", " Jana.Novak+shop@mail.example.com ", "mailto:x@y.eu", "+420 777 123 456", "+420777123456",
        "00420 777 123 456", "(555) 123-4567", "777 123 456", "tel:+420777123456"}) {
    EXPECT_TRUE(ContactDataClassifier::IsContactText(text)) << text;
  }
  for (const char* text : {"pro", "2026-12-01", "2026-12-01T10:00:00Z", "10000123", "420777123456", "@jana", "a@b",
                           "129.90", "Order 42", ""}) {
    EXPECT_FALSE(ContactDataClassifier::IsContactText(text)) << text;
  }
}

TEST(ContactDataTest, MasksAddressesInsideText) {
  EXPECT_EQ(ContactDataClassifier::MaskContactText("write to jana@example.cz. Thanks"),
            "write to [contact data]. Thanks");
  EXPECT_EQ(ContactDataClassifier::MaskContactText("a@x.cz, b@y.cz"), "[contact data], [contact data]");
  EXPECT_EQ(ContactDataClassifier::MaskContactText("no address @ here"), "no address @ here");
  EXPECT_TRUE(ContactDataClassifier::ContainsContactText("Jana <jana@example.cz>"));
  EXPECT_FALSE(ContactDataClassifier::ContainsContactText("Jana Nováková"));
}

TEST(ContactDataTest, RedactsAtAnyDepth) {
  json document = json::parse(R"({
    "plan": "pro", "Email": "x", "contact": {"Mobile": 420777123456, "list": ["a@b.cz", "ok", {"phone_number": "1"}]},
    "billing_address": {"street": "Main 1"}, "backup": "+420 777 123 456", "bio": "mail me at a@b.cz",
    "iban": "CZ65", "orders": [1, 2]})");
  EXPECT_TRUE(ContactDataClassifier({"iban"}).Redact(document));
  EXPECT_EQ(document,
            json::parse(R"({"plan": "pro", "contact": {"list": ["ok", {}]}, "bio": "mail me at [contact data]",
                                      "orders": [1, 2]})"));
  json clean = {{"plan", "pro"}};
  EXPECT_FALSE(ContactDataClassifier().Redact(clean));
}

}  // namespace
}  // namespace tp::profiles
