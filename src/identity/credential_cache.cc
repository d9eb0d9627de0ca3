#include "identity/credential_cache.h"

#include <algorithm>
#include <set>

#include "changes/kinds.h"

namespace tp::identity {
namespace {

bool ChangesCredentials(std::string_view kind) {
  namespace kinds = changes::kinds;
  return kind == kinds::kApiKeyRevoked || kind == kinds::kSessionEnded || kind == kinds::kUserUpdated ||
         kind == kinds::kTeamUpdated;
}

template <typename Map>
auto FindFresh(const Map& map, const std::string& key, Micros now, Micros max_age)
    -> std::optional<decltype(map.begin()->second.record)> {
  const auto found = map.find(key);
  if (found == map.end() || now - found->second.loaded_at > max_age || now < found->second.loaded_at) {
    return std::nullopt;
  }
  return found->second.record;
}

template <typename Map>
void ForgetTenants(Map& map, const std::set<std::string, std::less<>>& tenants) {
  std::erase_if(map, [&](const auto& entry) { return tenants.contains(entry.second.record.tenant_id); });
}

}  // namespace

CredentialCache::CredentialCache(std::chrono::milliseconds max_age, size_t max_entries)
    : max_age_(static_cast<Micros>(max_age.count()) * 1000), max_entries_(max_entries) {}

std::optional<ApiKeyRecord> CredentialCache::FindApiKey(const std::string& key_id, Micros now) const {
  const std::lock_guard lock(mutex_);
  return FindFresh(api_keys_, key_id, now, max_age_);
}

void CredentialCache::PutApiKey(const std::string& key_id, ApiKeyRecord record, Micros now) {
  const std::lock_guard lock(mutex_);
  // Bounded by clearing: refilling costs one read per credential, and it happens only under a flood of
  // distinct credentials.
  if (api_keys_.size() >= max_entries_) api_keys_.clear();
  api_keys_[key_id] = Entry<ApiKeyRecord>{std::move(record), now};
}

std::optional<SessionRecord> CredentialCache::FindSession(const std::string& token_hash, Micros now) const {
  const std::lock_guard lock(mutex_);
  return FindFresh(sessions_, token_hash, now, max_age_);
}

void CredentialCache::PutSession(const std::string& token_hash, SessionRecord record, Micros now) {
  const std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_entries_) sessions_.clear();
  sessions_[token_hash] = Entry<SessionRecord>{std::move(record), now};
}

void CredentialCache::ForgetSession(const std::string& token_hash) {
  const std::lock_guard lock(mutex_);
  sessions_.erase(token_hash);
}

void CredentialCache::Apply(const std::vector<store::Change>& batch) {
  std::set<std::string, std::less<>> tenants;
  for (const store::Change& change : batch) {
    if (ChangesCredentials(change.kind)) tenants.insert(change.tenant_id);
  }
  if (tenants.empty()) return;
  const std::lock_guard lock(mutex_);
  ForgetTenants(api_keys_, tenants);
  ForgetTenants(sessions_, tenants);
}

size_t CredentialCache::size() const {
  const std::lock_guard lock(mutex_);
  return api_keys_.size() + sessions_.size();
}

}  // namespace tp::identity
