#include "ingest/ingest.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/money.h"
#include "identity/tenants.h"
#include "ingest/merges.h"
#include "profiles/customers.h"
#include "profiles/identifiers.h"
#include "profiles/text.h"
#include "profiles/traits.h"

namespace tp::ingest {
namespace {

using events::EventType;
using events::Message;
using nlohmann::json;
using profiles::Identifier;
using profiles::IdentifierKind;

// Following merges never needs more hops than this; more means a cycle, which is a bug.
constexpr int kMaxRedirects = 64;

// Decides, message by message, which live profile each belongs to. Caches what it learns so a batch
// of many events from few people costs few statements: every identifier of the batch is looked up in
// one go first, and the batch's own attachments and merges update the cache.
class Resolver {
 public:
  Resolver(store::TenantTx& tx, const identity::AuditContext& audit, IngestSummary& summary)
      : tx_(tx), audit_(audit), summary_(summary) {}

  Status Prefetch(const std::vector<Message>& messages) {
    std::set<Identifier> wanted;
    for (const Message& message : messages) {
      for (const Identifier& identifier : message.identifiers) wanted.insert(identifier);
      for (const Identifier& previous : PreviousIdentifiers(message)) wanted.insert(previous);
    }
    TP_ASSIGN_OR_RETURN(std::vector<profiles::IdentifierLink> links,
                        profiles::FindIdentifierLinks(tx_, std::vector<Identifier>(wanted.begin(), wanted.end())));
    for (profiles::IdentifierLink& link : links) {
      if (link.identifier.kind == IdentifierKind::kUserId) user_id_of_[link.customer_id] = link.identifier.value;
      owner_[std::move(link.identifier)] = std::move(link.customer_id);
    }
    return Status::Ok();
  }

  Result<std::string> Resolve(const Message& message) {
    std::optional<std::string> message_user;
    for (const Identifier& identifier : message.identifiers) {
      if (identifier.kind == IdentifierKind::kUserId) message_user = identifier.value;
    }
    // The profiles this message names, strongest identifier first.
    std::vector<Identifier> identifiers = message.identifiers;
    for (const Identifier& previous : PreviousIdentifiers(message)) {
      if (Owner(previous)) identifiers.push_back(previous);
    }
    std::stable_sort(identifiers.begin(), identifiers.end(), [](const Identifier& a, const Identifier& b) {
      return profiles::IdentifierStrength(a.kind) > profiles::IdentifierStrength(b.kind);
    });
    std::vector<std::string> owners;
    for (const Identifier& identifier : identifiers) {
      if (const std::optional<std::string> owner = Owner(identifier);
          owner && std::find(owners.begin(), owners.end(), *owner) == owners.end()) {
        owners.push_back(*owner);
      }
    }

    // The profile the message lands on: its user id's, else the strongest-named one that can take
    // the user id, else a new one.
    std::optional<std::string> target;
    for (const std::string& owner : owners) {
      TP_ASSIGN_OR_RETURN(const std::optional<std::string> owner_user, UserIdOf(owner));
      if (!message_user || !owner_user || owner_user == message_user) {
        target = owner;
        break;
      }
    }
    if (!target) {
      TP_ASSIGN_OR_RETURN(target, profiles::InsertProfileFromEvent(tx_, message.occurred_at));
      user_id_of_[*target] = std::nullopt;
      ++summary_.profiles_created;
    }
    // Every other named profile is the same person, unless it is someone else's user id.
    const std::string_view reason = message.type == EventType::kAlias ? "alias" : "identify";
    for (const std::string& owner : owners) {
      TP_ASSIGN_OR_RETURN(target, Join(*target, Live(owner), message_user, reason));
    }
    // Identifiers nobody holds yet join the profile.
    for (const Identifier& identifier : message.identifiers) {
      if (Owner(identifier)) continue;
      const bool is_user_id = identifier.kind == IdentifierKind::kUserId;
      if (is_user_id) {
        TP_ASSIGN_OR_RETURN(const std::optional<std::string> held, UserIdOf(*target));
        if (held) continue;  // one user id per profile
      }
      const Status attached = profiles::AttachIdentifier(tx_, *target, identifier, message.occurred_at);
      if (attached.code() == ErrorCode::kConflict) {
        // Another transaction attached it after this batch looked it up (concurrent batches on
        // PostgreSQL): it names the same person, so the two profiles join like any others.
        TP_ASSIGN_OR_RETURN(const std::optional<std::string> holder,
                            profiles::FindCustomerByIdentifier(tx_, identifier));
        if (!holder) return attached;
        owner_[identifier] = *holder;
        if (is_user_id) user_id_of_[*holder] = identifier.value;
        TP_ASSIGN_OR_RETURN(target, Join(*target, *holder, std::nullopt, reason));
        continue;
      }
      TP_RETURN_IF_ERROR(attached);
      if (is_user_id) user_id_of_[*target] = identifier.value;
      owner_[identifier] = *target;
    }
    TP_RETURN_IF_ERROR(RecordAliasOfUnseenId(message, *target));
    return *target;
  }

  // Merges `other` and `target` unless they hold different user ids or an admin undid their merge
  // before, and returns the profile the message now lands on. `incoming_user` is a user id the message
  // will attach to `target` when it has none yet. The profile with a user id survives; between equals,
  // the older one.
  Result<std::string> Join(const std::string& target, const std::string& other,
                           const std::optional<std::string>& incoming_user, std::string_view reason) {
    if (other == target) return target;
    TP_ASSIGN_OR_RETURN(const std::optional<std::string> held_by_target, UserIdOf(target));
    const std::optional<std::string> target_user = held_by_target ? held_by_target : incoming_user;
    TP_ASSIGN_OR_RETURN(const std::optional<std::string> other_user, UserIdOf(other));
    if (target_user && other_user && target_user != other_user) return target;
    TP_ASSIGN_OR_RETURN(const bool separated, WereSeparated(tx_, target, other));
    if (separated) return target;
    const bool keep_target = target_user.has_value() || (!other_user && target < other);
    const std::string survivor = keep_target ? target : other;
    const std::string merged = keep_target ? other : target;
    TP_RETURN_IF_ERROR(MergeCustomers(tx_, survivor, merged, reason, audit_).status());
    ++summary_.merges;
    redirect_[merged] = survivor;
    // What the survivor holds now (the incoming user id is attached afterwards, by the caller).
    user_id_of_[survivor] = held_by_target ? held_by_target : other_user;
    return survivor;
  }

  // The profile a (possibly merged during this batch) profile now is.
  std::string Live(const std::string& customer_id) const {
    std::string live = customer_id;
    for (int hop = 0; hop < kMaxRedirects; ++hop) {
      const auto it = redirect_.find(live);
      if (it == redirect_.end()) break;
      live = it->second;
    }
    return live;
  }

  // The live holder of an identifier, if any.
  std::optional<std::string> Owner(const Identifier& identifier) const {
    const auto it = owner_.find(identifier);
    if (it == owner_.end()) return std::nullopt;
    return Live(it->second);
  }

 private:
  // An alias's previousId is a user id or an anonymous id the sender had before; both are tried.
  static std::vector<Identifier> PreviousIdentifiers(const Message& message) {
    if (!message.previous_id) return {};
    return {{IdentifierKind::kUserId, *message.previous_id}, {IdentifierKind::kAnonymousId, *message.previous_id}};
  }

  // An alias whose previousId nobody holds yet still records the link: the previous id joins the
  // profile as an anonymous id (what a previousId usually is), so that later events sent under it land
  // on this profile instead of starting another.
  Status RecordAliasOfUnseenId(const Message& message, const std::string& target) {
    if (!message.previous_id) return Status::Ok();
    const std::vector<Identifier> previous = PreviousIdentifiers(message);
    if (std::any_of(previous.begin(), previous.end(), [&](const Identifier& id) { return Owner(id).has_value(); })) {
      return Status::Ok();
    }
    TP_ASSIGN_OR_RETURN(const Identifier anonymous,
                        profiles::NormaliseIdentifier(IdentifierKind::kAnonymousId, *message.previous_id, "previousId"));
    const Status attached = profiles::AttachIdentifier(tx_, target, anonymous, message.occurred_at);
    // Attached by a concurrent batch meanwhile: that profile and this one meet at the next event.
    if (attached.code() == ErrorCode::kConflict) return Status::Ok();
    TP_RETURN_IF_ERROR(attached);
    owner_[anonymous] = target;
    return Status::Ok();
  }

  Result<std::optional<std::string>> UserIdOf(const std::string& customer_id) {
    if (const auto it = user_id_of_.find(customer_id); it != user_id_of_.end()) return it->second;
    TP_ASSIGN_OR_RETURN(std::vector<profiles::IdentifierLink> links, profiles::ListIdentifiers(tx_, customer_id));
    std::optional<std::string> user_id;
    for (const profiles::IdentifierLink& link : links) {
      if (link.identifier.kind == IdentifierKind::kUserId) user_id = link.identifier.value;
    }
    user_id_of_[customer_id] = user_id;
    return user_id;
  }

  store::TenantTx& tx_;
  const identity::AuditContext& audit_;
  IngestSummary& summary_;
  std::map<Identifier, std::string> owner_;
  std::unordered_map<std::string, std::optional<std::string>> user_id_of_;
  std::unordered_map<std::string, std::string> redirect_;
};

// A profile the batch changes, loaded once and saved once.
struct ProfileUpdate {
  profiles::Customer customer;
  // The traits and the time each was set, parsed only once an identify message changes them: most
  // messages (track, page) leave them alone.
  std::optional<json> traits;
  std::optional<json> times;
  std::vector<profiles::TraitChange> trait_changes;
  std::set<std::string> channels;
  bool search_fields_changed = false;
  bool created_at_changed = false;
};

std::optional<std::string> TraitText(const json& traits, const char* name) {
  const auto it = traits.find(name);
  if (it == traits.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

// identify traits that are also profile fields: name (or firstName + lastName), email, phone. A value
// is taken only when it is valid and the trait itself was updated by this message.
void ApplyProfileFields(ProfileUpdate& update, const std::vector<profiles::TraitChange>& applied,
                        const Resolver& resolver) {
  auto applied_now = [&](std::string_view name) {
    return std::any_of(applied.begin(), applied.end(), [&](const auto& change) { return change.name == name; });
  };
  profiles::Customer& customer = update.customer;
  const json& traits = *update.traits;
  std::optional<std::string> name = TraitText(traits, "name");
  if (!name && (applied_now("firstName") || applied_now("lastName"))) {
    const std::string first = TraitText(traits, "firstName").value_or("");
    const std::string last = TraitText(traits, "lastName").value_or("");
    name = first.empty() || last.empty() ? first + last : first + " " + last;
  }
  if (name && (applied_now("name") || applied_now("firstName") || applied_now("lastName"))) {
    if (Result<std::string> clean = profiles::CleanLine(*name, "name", profiles::kMaxCustomerNameChars, false);
        clean.ok() && *clean != customer.name) {
      customer.name = *clean;
      update.search_fields_changed = true;
    }
  }
  for (const auto& [trait, kind, field] :
       {std::tuple{"email", IdentifierKind::kEmail, &profiles::Customer::email},
        std::tuple{"phone", IdentifierKind::kPhone, &profiles::Customer::phone}}) {
    const std::optional<std::string> value = TraitText(traits, trait);
    if (!value || !applied_now(trait)) continue;
    const Result<Identifier> identifier = profiles::NormaliseIdentifier(kind, *value);
    // Only an address this profile holds: one another person holds stays a plain trait.
    if (!identifier.ok() || resolver.Owner(*identifier) != customer.id) continue;
    if (customer.*field != identifier->value) {
      customer.*field = identifier->value;
      update.search_fields_changed = true;
    }
  }
}

// A profile without an e-mail or phone takes the first one an event attaches to it (a track call
// naming the customer by e-mail is as good as an identify).
void FillContactFields(ProfileUpdate& update, const Message& message, const Resolver& resolver) {
  profiles::Customer& customer = update.customer;
  for (const Identifier& identifier : message.identifiers) {
    auto field = identifier.kind == IdentifierKind::kEmail   ? &profiles::Customer::email
                 : identifier.kind == IdentifierKind::kPhone ? &profiles::Customer::phone
                                                             : nullptr;
    if (field == nullptr || customer.*field || resolver.Owner(identifier) != customer.id) continue;
    customer.*field = identifier.value;
    update.search_fields_changed = true;
  }
}

// An order's or refund's amount with its currency filled in, and its worth in the tenant's reporting
// currency at the rate configured now (kept with the event, so the rate used is on record).
struct PricedAmount {
  Money amount;
  std::optional<Money> reporting;
  std::string rate;
};

class Pricing {
 public:
  explicit Pricing(store::TenantTx& tx) : tx_(tx) {}

  Result<std::optional<PricedAmount>> Price(const Message& message) {
    if (!message.amount) return std::optional<PricedAmount>();
    if (!settings_) {
      TP_ASSIGN_OR_RETURN(const identity::Tenant tenant, identity::GetTenant(tx_));
      // Settings are validated when written; a document from before that validation must not cost
      // events, so it falls back to the defaults.
      Result<CurrencySettings> parsed = ParseCurrencySettings(tenant.settings_json);
      settings_ = parsed.ok() ? std::move(*parsed) : CurrencySettings{};
    }
    PricedAmount priced{.amount = *message.amount};
    if (priced.amount.currency.empty()) priced.amount.currency = settings_->reporting;
    if (const std::optional<ExchangeRate> rate = settings_->RateFor(priced.amount.currency)) {
      priced.reporting = Money{.amount = Convert(priced.amount.amount, *rate), .currency = settings_->reporting};
      priced.rate = rate->text;
    }
    return std::optional<PricedAmount>(std::move(priced));
  }

 private:
  store::TenantTx& tx_;
  std::optional<CurrencySettings> settings_;
};

void ApplyComputed(ProfileUpdate& update, const Message& message, const std::optional<PricedAmount>& priced) {
  profiles::ComputedAttributes& computed = update.customer.computed;
  const Micros first_seen = std::min(message.occurred_at, message.first_seen_at.value_or(message.occurred_at));
  computed.first_seen_at = std::min(computed.first_seen_at.value_or(first_seen), first_seen);
  if (message.customer_since && *message.customer_since < update.customer.created_at) {
    update.customer.created_at = *message.customer_since;
    update.created_at_changed = true;
  }
  computed.last_seen_at = std::max(computed.last_seen_at.value_or(message.occurred_at), message.occurred_at);
  if (!message.channel.empty()) update.channels.insert(message.channel);
  if (message.type != EventType::kTrack) return;
  if (message.name == events::kOrderCompleted) {
    ++computed.orders_count;
    if (priced) computed.revenue.Add(priced->amount, priced->reporting);
  } else if (message.name == events::kOrderRefunded) {
    ++computed.refunds_count;
    if (priced) computed.refunded.Add(priced->amount, priced->reporting);
  }
}

Result<ProfileUpdate> LoadUpdate(store::TenantTx& tx, const std::string& customer_id) {
  TP_ASSIGN_OR_RETURN(profiles::Customer customer, profiles::GetCustomer(tx, customer_id));
  ProfileUpdate update{.customer = std::move(customer)};
  update.channels.insert(update.customer.computed.channels.begin(), update.customer.computed.channels.end());
  return update;
}

void LoadTraits(ProfileUpdate& update) {
  if (update.traits) return;
  update.traits = profiles::StoredObject(update.customer.traits_json);
  update.times = profiles::StoredObject(update.customer.trait_times_json);
}

Status SaveUpdate(store::TenantTx& tx, ProfileUpdate& update, Micros now) {
  profiles::Customer& customer = update.customer;
  if (!update.trait_changes.empty()) {
    customer.traits_json = update.traits->dump();
    customer.trait_times_json = update.times->dump();
  }
  customer.computed.channels.assign(update.channels.begin(), update.channels.end());
  customer.updated_at = now;
  TP_RETURN_IF_ERROR(profiles::SaveProfile(tx, customer));
  if (update.created_at_changed) TP_RETURN_IF_ERROR(profiles::SaveCreatedAt(tx, customer));
  return Status::Ok();
}

// The trait history and search terms of every profile the batch changed, in a few statements rather
// than a few per profile: a statement's fixed cost (and, on SQLite, journaling every page it changes)
// is most of what a new profile's rows cost, so an import chunk of 1000 new customers pays it per
// hundreds of rows instead.
Status SaveTraitsAndSearchTerms(store::TenantTx& tx, const std::map<std::string, ProfileUpdate>& updates) {
  std::vector<profiles::CustomerTraitChanges> trait_changes;
  std::vector<const profiles::Customer*> searched;
  for (const auto& [customer_id, update] : updates) {
    if (!update.trait_changes.empty()) trait_changes.push_back({customer_id, update.trait_changes});
    if (update.search_fields_changed) searched.push_back(&update.customer);
  }
  TP_RETURN_IF_ERROR(profiles::RecordTraitHistory(tx, trait_changes, "identify"));
  return profiles::RewriteSearchTerms(tx, searched);
}

// One change record per ingested batch (changes/kinds.h kEventsIngested), naming each new event.
Status PublishIngested(store::TenantTx& tx, const std::vector<Message>& messages,
                       const std::vector<std::size_t>& event_message, const std::vector<std::string>& event_ids,
                       const std::unordered_set<std::string>& stored, const IngestSummary& summary) {
  if (stored.empty()) return Status::Ok();
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t index = 0; index < event_message.size(); ++index) {
    const Message& message = messages[event_message[index]];
    if (!stored.contains(message.message_id)) continue;
    events.push_back({{"id", event_ids[index]},
                      {"customer_id", summary.customer_ids[event_message[index]]},
                      {"type", events::EventTypeName(message.type)},
                      {"event", message.name}});
  }
  const std::string subject = events.front()["id"].get<std::string>();
  return tx.Publish(changes::kinds::kEventsIngested, subject,
                    nlohmann::json{{"events", std::move(events)}, {"profiles_created", summary.profiles_created},
                                   {"merges", summary.merges}}
                        .dump());
}

}  // namespace

Result<IngestSummary> IngestMessages(store::TenantTx& tx, const std::vector<Message>& messages,
                                     const identity::AuditContext& audit) {
  IngestSummary summary;
  Resolver resolver(tx, audit, summary);
  TP_RETURN_IF_ERROR(resolver.Prefetch(messages));

  std::vector<std::string> resolved;
  resolved.reserve(messages.size());
  for (const Message& message : messages) {
    TP_ASSIGN_OR_RETURN(std::string customer_id, resolver.Resolve(message));
    resolved.push_back(std::move(customer_id));
  }

  // One stored event per message id, attributed to the profile it ends at after the batch's merges.
  std::vector<events::Event> batch_events;
  std::vector<std::size_t> event_message;  // index into messages
  std::vector<std::optional<PricedAmount>> prices;  // per event
  std::unordered_set<std::string> seen_ids;
  Pricing pricing(tx);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    resolved[i] = resolver.Live(resolved[i]);
    if (!seen_ids.insert(messages[i].message_id).second) continue;
    events::Event& event = batch_events.emplace_back(events::EventFromMessage(messages[i], resolved[i]));
    TP_ASSIGN_OR_RETURN(std::optional<PricedAmount> priced, pricing.Price(messages[i]));
    if (priced) {
      event.amount = priced->amount;
      event.reporting_amount = priced->reporting;
      event.exchange_rate = priced->rate;
    }
    prices.push_back(std::move(priced));
    event_message.push_back(i);
  }
  // What the change record names of each event, taken before the events are handed over.
  std::vector<std::string> event_ids;
  event_ids.reserve(batch_events.size());
  for (const events::Event& event : batch_events) event_ids.push_back(event.id);
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> stored_ids, events::InsertEvents(tx, std::move(batch_events)));
  const std::unordered_set<std::string> stored(stored_ids.begin(), stored_ids.end());
  summary.stored = static_cast<int>(stored.size());
  summary.duplicates = static_cast<int>(messages.size()) - summary.stored;
  summary.customer_ids = std::move(resolved);

  std::map<std::string, ProfileUpdate> updates;
  for (std::size_t event_index = 0; event_index < event_message.size(); ++event_index) {
    const std::size_t i = event_message[event_index];
    const Message& message = messages[i];
    if (!stored.contains(message.message_id)) continue;
    const std::string& customer_id = summary.customer_ids[i];
    auto it = updates.find(customer_id);
    if (it == updates.end()) {
      TP_ASSIGN_OR_RETURN(ProfileUpdate loaded, LoadUpdate(tx, customer_id));
      it = updates.emplace(customer_id, std::move(loaded)).first;
    }
    ProfileUpdate& update = it->second;
    if (message.type == EventType::kIdentify && !message.traits.empty()) {
      LoadTraits(update);
      std::vector<profiles::TraitChange> changes =
          profiles::ApplyTraits(*update.traits, *update.times, message.traits, message.occurred_at);
      ApplyProfileFields(update, changes, resolver);
      for (const profiles::TraitChange& change : changes) {
        if (profiles::TraitChangeAffectsSearch(change.name, change.value)) update.search_fields_changed = true;
      }
      update.trait_changes.insert(update.trait_changes.end(), changes.begin(), changes.end());
    }
    FillContactFields(update, message, resolver);
    ApplyComputed(update, message, prices[event_index]);
  }
  const Micros now = NowMicros();
  for (auto& [customer_id, update] : updates) TP_RETURN_IF_ERROR(SaveUpdate(tx, update, now));
  TP_RETURN_IF_ERROR(SaveTraitsAndSearchTerms(tx, updates));
  TP_RETURN_IF_ERROR(PublishIngested(tx, messages, event_message, event_ids, stored, summary));
  return summary;
}

Result<IngestSummary> IngestRequest(store::TenantTx& tx, const std::vector<Message>& messages, int rejected,
                                    const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(IngestSummary summary, IngestMessages(tx, messages, audit));
  const json counts{{"messages", static_cast<int>(messages.size()) + rejected},
                    {"stored", summary.stored},
                    {"duplicates", summary.duplicates},
                    {"rejected", rejected},
                    {"merges", summary.merges},
                    {"profiles_created", summary.profiles_created}};
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "events.ingest", "events", "", std::nullopt, counts.dump()));
  return summary;
}

Result<std::string> LiveCustomerId(store::TenantTx& tx, std::string_view customer_id) {
  std::string live(customer_id);
  for (int hop = 0; hop < kMaxRedirects; ++hop) {
    TP_ASSIGN_OR_RETURN(profiles::Customer customer, profiles::GetCustomer(tx, live));
    if (!customer.merged_into) return live;
    live = *customer.merged_into;
  }
  return Internal("customer merges form a cycle at " + live);
}

}  // namespace tp::ingest
