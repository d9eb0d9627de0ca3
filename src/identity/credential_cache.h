// What authenticating a credential read from the store, kept per process so that a request with a
// known API key or session cookie reads nothing. Correctness comes from the change feed: every write
// that changes what a credential may do (a key revoked, a session ended, a user's role, grant or
// disabled flag changed, team membership changed) publishes a change, and Apply() drops every entry
// of that tenant, at once for this process's own commits and within milliseconds for other processes'
// (PostgreSQL LISTEN/NOTIFY). Entries also expire after `max_age`, a bound should a notification be
// lost. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "identity/permissions.h"
#include "store/store.h"

namespace tp::identity {

// An API key row joined with its user, as AuthenticateApiKey reads it.
struct ApiKeyRecord {
  std::string tenant_id;
  std::string user_id;
  ApiKeyScope scope = ApiKeyScope::kIngest;
  std::string secret_hash;
  std::optional<Micros> last_used_at;
  bool revoked = false;
  Role role = Role::kViewer;
  bool contact_data_granted = false;
  bool user_disabled = false;
  std::vector<std::string> team_ids;
};

// A session row joined with its user, as AuthenticateSession reads it.
struct SessionRecord {
  std::string tenant_id;
  std::string id;
  std::string user_id;
  std::string csrf_hash;
  Micros last_seen_at = 0;
  Micros expires_at = 0;
  Role role = Role::kViewer;
  bool contact_data_granted = false;
  bool disabled = false;
  std::vector<std::string> team_ids;
};

class CredentialCache {
 public:
  explicit CredentialCache(std::chrono::milliseconds max_age = std::chrono::seconds(60), size_t max_entries = 100'000);

  std::optional<ApiKeyRecord> FindApiKey(const std::string& key_id, Micros now) const;
  void PutApiKey(const std::string& key_id, ApiKeyRecord record, Micros now);
  std::optional<SessionRecord> FindSession(const std::string& token_hash, Micros now) const;
  void PutSession(const std::string& token_hash, SessionRecord record, Micros now);
  void ForgetSession(const std::string& token_hash);

  // Drops the entries of every tenant with a change to credentials in `batch`.
  void Apply(const std::vector<store::Change>& batch);
  size_t size() const;

 private:
  template <typename Record>
  struct Entry {
    Record record;
    Micros loaded_at = 0;
  };

  const Micros max_age_;
  const size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry<ApiKeyRecord>> api_keys_;
  std::unordered_map<std::string, Entry<SessionRecord>> sessions_;
};

}  // namespace tp::identity
