// The identifiers a person is known by, and the one live profile each points to. Identity resolution
// (ingest/) looks them up to decide which profile an event belongs to and attaches new ones; channels
// (later issues) look up a profile by a channel handle the same way.
//
//   TP_ASSIGN_OR_RETURN(Identifier email, NormaliseIdentifier(IdentifierKind::kEmail, " Jana@Example.CZ "));
//   TP_ASSIGN_OR_RETURN(std::optional<std::string> owner, FindCustomerByIdentifier(tx, email));
//
// Rules per kind: a profile holds at most one user_id (a second, different user id is a different
// person, so an event that would tie two user ids together does not merge their profiles); it may hold
// any number of the others. Values are normalised before they are stored or looked up: e-mail
// lower-cased, phone and WhatsApp numbers in E.164, the rest trimmed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::profiles {

// E.164: a phone number has at most 15 digits; fewer than 8 is no callable number.
inline constexpr std::size_t kMinPhoneDigits = 8;
inline constexpr std::size_t kMaxPhoneDigits = 15;

enum class IdentifierKind { kUserId, kAnonymousId, kEmail, kPhone, kWhatsapp, kMessenger, kTelegram, kWebchat };

inline constexpr std::size_t kMaxIdentifierChars = 200;

std::string_view IdentifierKindName(IdentifierKind kind);  // "user_id", "anonymous_id", "email", "phone", ...
// kInvalidArgument field "kind".
Result<IdentifierKind> ParseIdentifierKind(std::string_view name);
const std::vector<IdentifierKind>& AllIdentifierKinds();
// False for kinds a profile may hold only one of (user_id).
bool ProfileMayHoldMany(IdentifierKind kind);
// Stronger identifiers decide which profile survives a merge and where a conflicting event goes:
// user_id > email > phone > channel handles > anonymous_id.
int IdentifierStrength(IdentifierKind kind);

struct Identifier {
  IdentifierKind kind = IdentifierKind::kUserId;
  std::string value;
  friend bool operator==(const Identifier&, const Identifier&) = default;
  friend auto operator<=>(const Identifier&, const Identifier&) = default;
};

// kInvalidArgument naming `field` (the kind's name when empty) for an empty, over-long or malformed value.
Result<Identifier> NormaliseIdentifier(IdentifierKind kind, std::string_view value, std::string_view field = {});

struct IdentifierLink {
  Identifier identifier;
  std::string customer_id;
  Micros created_at = 0;
};

// The live profile the identifier points to, if any.
Result<std::optional<std::string>> FindCustomerByIdentifier(store::TenantTx& tx, const Identifier& identifier);
// One statement for many identifiers: the links found (in no particular order).
Result<std::vector<IdentifierLink>> FindIdentifierLinks(store::TenantTx& tx, const std::vector<Identifier>& identifiers);
// Points the identifier at the profile; an identifier already held by another profile is kConflict.
// Attaching one the profile already holds is a no-op.
Status AttachIdentifier(store::TenantTx& tx, const std::string& customer_id, const Identifier& identifier, Micros at);
// Points many free identifiers at their profiles in a few multi-row statements and returns how many it
// attached. One that another profile already holds is left with its holder, not counted: a caller whose
// count falls short reads the holders (FindIdentifierLinks) and decides.
Result<std::int64_t> AttachIdentifiers(store::TenantTx& tx, const std::vector<IdentifierLink>& links);
Result<std::vector<IdentifierLink>> ListIdentifiers(store::TenantTx& tx, std::string_view customer_id);
// Removes one identifier from a profile (kNotFound when the profile does not hold it).
Status DetachIdentifier(store::TenantTx& tx, std::string_view customer_id, const Identifier& identifier);

}  // namespace tp::profiles
