// Contact data (e-mail addresses, phone numbers, messaging handles, postal addresses) as one
// classification, applied to every output a caller without contact_data:read gets: profiles, events,
// the timeline, search, exports and error messages all go through ContactDataClassifier.
//
//   TP_ASSIGN_OR_RETURN(ContactDataClassifier classifier, LoadContactDataClassifier(tx));
//   classifier.Redact(traits);   // {"Email": "…", "plan": "pro", "x": {"mobile": "…"}} -> {"plan": "pro", "x": {}}
//
// What is contact data:
// - a member whose key, ignoring case and every character but letters and digits ("phone_number",
//   "phoneNumber" and "Phone-Number" are all "phonenumber"), begins or ends with one of the default keys
//   or the tenant's own (identity::kContactDataKeysSetting in the tenant settings), at any depth; its
//   whole value is;
// - a string that is an e-mail address or a phone number (ContactDataClassifier::IsContactText);
// - an e-mail address inside a longer text, which is masked in place.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "profiles/identifiers.h"
#include "store/store.h"

namespace tp::profiles {

inline constexpr std::string_view kMaskedContactData = "[contact data]";

// Lower-case letters and digits only: the form keys are compared in.
std::string CanonicalKey(std::string_view key);

class ContactDataClassifier {
 public:
  // `extra_keys` as an admin wrote them (canonicalised here).
  explicit ContactDataClassifier(const std::vector<std::string>& extra_keys = {});

  bool IsContactKey(std::string_view key) const;
  // True when the key is one of the defaults (indexing for search decides with these alone).
  static bool IsDefaultContactKey(std::string_view key);
  // The whole text (trimmed) is an e-mail address or a phone number: "+420 777 123 456",
  // "00420777123456", "(555) 123-4567", "777 123 456"; not a bare run of digits (an order number) nor
  // a date.
  static bool IsContactText(std::string_view text);
  // `text` with every e-mail address in it replaced by kMaskedContactData.
  static std::string MaskContactText(std::string_view text);
  // Contact text, or a text with an e-mail address in it (search does not index it as plain text).
  static bool ContainsContactText(std::string_view text);

  // Removes contact data from `document` at any depth: members with a contact key, strings (members or
  // array elements) that are contact text; masks e-mail addresses inside other strings. True when
  // anything was removed or masked.
  bool Redact(nlohmann::json& document) const;

  // The tenant's extra keys, canonical (search leaves traits with these keys out, docs say how).
  const std::vector<std::string>& extra_keys() const { return extra_keys_; }

 private:
  std::vector<std::string> extra_keys_;
};

// E-mail, phone and channel handles are contact data; so is a user or anonymous id that is contact text
// (sites often use the e-mail address as the user id).
bool IsContactIdentifier(IdentifierKind kind, std::string_view value);

// The tenant's classifier (its settings' contact_data_keys added to the defaults).
Result<ContactDataClassifier> LoadContactDataClassifier(store::TenantTx& tx);

}  // namespace tp::profiles
