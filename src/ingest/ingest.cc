#include "ingest/ingest.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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
// one go first, and the batch's own attachments and merges update the cache. New profiles and newly
// attached identifiers are written together, in multi-row statements (an import chunk of 1000 new
// customers would otherwise pay four statements per customer): before a merge, which reads and moves
// stored rows, and when the batch is resolved (FlushIdentifiers; the new profiles themselves are
// stored whole by the caller, TakeNewProfiles).
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
    // Batches naming the same people (on PostgreSQL, concurrent) take turns from here on, instead of
    // inserting the same new identifiers in different orders and deadlocking.
    std::vector<std::string> lock_keys;
    lock_keys.reserve(wanted.size());
    for (const Identifier& identifier : wanted) {
      lock_keys.push_back(std::string(profiles::IdentifierKindName(identifier.kind)) + ":" + identifier.value);
    }
    TP_RETURN_IF_ERROR(tx_.LockKeys(std::move(lock_keys)));
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
      target = new_profiles_.emplace_back(profiles::NewProfileFromEvent(message.occurred_at)).id;
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
      pending_identifiers_.push_back(
          {.link = {.identifier = identifier, .customer_id = *target, .created_at = message.occurred_at},
           .reason = reason,
           .join_on_conflict = true});
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
  Result<std::string> Join(std::string target, std::string other, const std::optional<std::string>& incoming_user,
                           std::string_view reason) {
    if (other == target) return target;
    // A merge reads and moves stored rows: what the batch created so far must be stored first. Storing
    // the pending identifiers can itself join profiles (a concurrent attachment), so look again.
    TP_RETURN_IF_ERROR(FlushNewProfiles());
    TP_RETURN_IF_ERROR(FlushIdentifiers());
    // Another transaction (a concurrent batch on PostgreSQL) may have merged either profile since this
    // batch looked them up: follow the store's merges too.
    TP_ASSIGN_OR_RETURN(target, LiveInStore(Live(target)));
    TP_ASSIGN_OR_RETURN(other, LiveInStore(Live(other)));
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

  // Stores the identifiers attached since the last flush, in multi-row statements. One that another
  // transaction attached after this batch looked it up (concurrent batches on PostgreSQL) names the
  // same person, so the two profiles join like any others (an alias's previous id stays with its holder:
  // the two profiles meet at the next event).
  Status FlushIdentifiers() {
    if (pending_identifiers_.empty()) return Status::Ok();
    const std::vector<PendingIdentifier> pending = std::exchange(pending_identifiers_, {});
    std::vector<profiles::IdentifierLink> links;
    links.reserve(pending.size());
    for (const PendingIdentifier& attachment : pending) links.push_back(attachment.link);
    TP_ASSIGN_OR_RETURN(const std::int64_t attached, profiles::AttachIdentifiers(tx_, links));
    if (attached == static_cast<std::int64_t>(links.size())) return Status::Ok();
    std::vector<Identifier> identifiers;
    for (const PendingIdentifier& attachment : pending) identifiers.push_back(attachment.link.identifier);
    TP_ASSIGN_OR_RETURN(const std::vector<profiles::IdentifierLink> held,
                        profiles::FindIdentifierLinks(tx_, identifiers));
    std::map<Identifier, std::string> holder_of;
    for (const profiles::IdentifierLink& link : held) holder_of[link.identifier] = link.customer_id;
    for (const PendingIdentifier& attachment : pending) {
      const Identifier& identifier = attachment.link.identifier;
      const auto holder = holder_of.find(identifier);
      if (holder == holder_of.end()) {
        const std::string kind(profiles::IdentifierKindName(identifier.kind));
        return Conflict("the " + kind + " changed hands while it was attached", kind);
      }
      if (holder->second == attachment.link.customer_id) continue;
      owner_[identifier] = holder->second;
      if (identifier.kind == IdentifierKind::kUserId) {
        user_id_of_[attachment.link.customer_id] = std::nullopt;
        user_id_of_[holder->second] = identifier.value;
      }
      if (!attachment.join_on_conflict) continue;
      TP_RETURN_IF_ERROR(
          Join(Live(attachment.link.customer_id), holder->second, std::nullopt, attachment.reason).status());
    }
    return Status::Ok();
  }

  // The profiles the batch created that are not stored yet, for the caller to store whole; after this
  // the resolver stores none of them.
  std::vector<profiles::Customer> TakeNewProfiles() { return std::exchange(new_profiles_, {}); }

  // The live holder of an identifier, if any.
  std::optional<std::string> Owner(const Identifier& identifier) const {
    const auto it = owner_.find(identifier);
    if (it == owner_.end()) return std::nullopt;
    return Live(it->second);
  }

 private:
  // The profile `customer_id` is now after the merges committed so far, remembered for the batch.
  Result<std::string> LiveInStore(const std::string& customer_id) {
    TP_ASSIGN_OR_RETURN(std::string live, LiveCustomerId(tx_, customer_id));
    if (live != customer_id) redirect_[customer_id] = live;
    return live;
  }

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
    TP_ASSIGN_OR_RETURN(const Identifier anonymous, profiles::NormaliseIdentifier(IdentifierKind::kAnonymousId,
                                                                                  *message.previous_id, "previousId"));
    pending_identifiers_.push_back(
        {.link = {.identifier = anonymous, .customer_id = target, .created_at = message.occurred_at},
         .reason = "alias",
         .join_on_conflict = false});
    owner_[anonymous] = target;
    return Status::Ok();
  }

  // Profiles created earlier in the batch, stored as they are now (bare: nothing but their times),
  // before a merge needs them in the table; the caller loads and updates them like any other.
  Status FlushNewProfiles() {
    if (new_profiles_.empty()) return Status::Ok();
    const std::vector<profiles::Customer> created = std::exchange(new_profiles_, {});
    std::vector<const profiles::Customer*> rows;
    for (const profiles::Customer& customer : created) rows.push_back(&customer);
    return profiles::InsertProfiles(tx_, rows);
  }

  struct PendingIdentifier {
    profiles::IdentifierLink link;
    std::string_view reason;
    bool join_on_conflict = true;
  };

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
  std::vector<profiles::Customer> new_profiles_;
  std::vector<PendingIdentifier> pending_identifiers_;
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
  // Created by this batch and not stored yet: inserted whole, its search terms added without a delete.
  bool is_new = false;
};
using ProfileUpdates = std::map<std::string, ProfileUpdate>;  // by customer id

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
  for (const auto& [trait, kind, field] : {std::tuple{"email", IdentifierKind::kEmail, &profiles::Customer::email},
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

// The profiles the stored events land on, each loaded once: the batch's new ones as they were created,
// the others from the store in a few statements.
Result<ProfileUpdates> LoadUpdates(store::TenantTx& tx, const std::vector<std::string>& targets,
                                   std::unordered_map<std::string, profiles::Customer>& created) {
  ProfileUpdates updates;
  std::unordered_set<std::string> wanted;
  std::vector<std::string> stored;
  for (const std::string& customer_id : targets) {
    if (!wanted.insert(customer_id).second) continue;
    if (auto found = created.find(customer_id); found != created.end()) {
      updates.emplace(customer_id, ProfileUpdate{.customer = std::move(found->second), .is_new = true});
      created.erase(found);
    } else {
      stored.push_back(customer_id);
    }
  }
  TP_ASSIGN_OR_RETURN(std::vector<profiles::Customer> loaded, profiles::GetCustomers(tx, stored));
  if (loaded.size() != stored.size()) return Internal("a profile an event lands on is not stored");
  for (profiles::Customer& customer : loaded) {
    ProfileUpdate update{.customer = std::move(customer)};
    update.channels.insert(update.customer.computed.channels.begin(), update.customer.computed.channels.end());
    updates.emplace(update.customer.id, std::move(update));
  }
  return updates;
}

void LoadTraits(ProfileUpdate& update) {
  if (update.traits) return;
  update.traits = profiles::StoredObject(update.customer.traits_json);
  update.times = profiles::StoredObject(update.customer.trait_times_json);
}

// Writes back every profile the batch changed, in multi-row statements: INSERTs for the new ones,
// UPDATEs for the others.
Status SaveUpdates(store::TenantTx& tx, ProfileUpdates& updates, Micros now) {
  std::vector<const profiles::Customer*> created;
  std::vector<const profiles::Customer*> changed;
  for (auto& [customer_id, update] : updates) {
    profiles::Customer& customer = update.customer;
    if (!update.trait_changes.empty()) {
      customer.traits_json = update.traits->dump();
      customer.trait_times_json = update.times->dump();
    }
    customer.computed.channels.assign(update.channels.begin(), update.channels.end());
    customer.updated_at = now;
    (update.is_new ? created : changed).push_back(&customer);
  }
  TP_RETURN_IF_ERROR(profiles::SaveProfiles(tx, changed));
  return profiles::InsertProfiles(tx, created);
}

// The trait history and search terms of every profile the batch changed, in a few statements rather
// than a few per profile: a statement's fixed cost (and, on SQLite, journaling every page it changes)
// is most of what a new profile's rows cost, so an import chunk of 1000 new customers pays it per
// hundreds of rows instead.
Status SaveTraitsAndSearchTerms(store::TenantTx& tx, const ProfileUpdates& updates) {
  std::vector<profiles::CustomerTraitChanges> trait_changes;
  std::vector<const profiles::Customer*> searched;
  std::vector<const profiles::Customer*> searched_new;
  for (const auto& [customer_id, update] : updates) {
    if (!update.trait_changes.empty()) trait_changes.push_back({customer_id, update.trait_changes});
    if (update.search_fields_changed) (update.is_new ? searched_new : searched).push_back(&update.customer);
  }
  TP_RETURN_IF_ERROR(profiles::RecordTraitHistory(tx, trait_changes, "identify"));
  TP_RETURN_IF_ERROR(profiles::AddSearchTerms(tx, searched_new));
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
  return tx.Publish(
      changes::kinds::kEventsIngested, subject,
      nlohmann::json{
          {"events", std::move(events)}, {"profiles_created", summary.profiles_created}, {"merges", summary.merges}}
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
  TP_RETURN_IF_ERROR(resolver.FlushIdentifiers());
  // The profiles the batch created, not stored yet: each is stored whole with the batch's changes.
  std::unordered_map<std::string, profiles::Customer> new_profiles;
  for (profiles::Customer& customer : resolver.TakeNewProfiles())
    new_profiles.emplace(customer.id, std::move(customer));

  // One stored event per message id, attributed to the profile it ends at after the batch's merges.
  std::vector<events::Event> batch_events;
  std::vector<std::size_t> event_message;           // index into messages
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

  std::vector<std::string> targets;
  for (const std::size_t i : event_message) {
    if (stored.contains(messages[i].message_id)) targets.push_back(summary.customer_ids[i]);
  }
  TP_ASSIGN_OR_RETURN(ProfileUpdates updates, LoadUpdates(tx, targets, new_profiles));
  for (std::size_t event_index = 0; event_index < event_message.size(); ++event_index) {
    const std::size_t i = event_message[event_index];
    const Message& message = messages[i];
    if (!stored.contains(message.message_id)) continue;
    ProfileUpdate& update = updates.at(summary.customer_ids[i]);
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
  // A new profile none of whose events was stored (all duplicates) is stored as it was created.
  std::vector<const profiles::Customer*> unchanged_new;
  for (const auto& [customer_id, customer] : new_profiles) unchanged_new.push_back(&customer);
  TP_RETURN_IF_ERROR(profiles::InsertProfiles(tx, unchanged_new));
  TP_RETURN_IF_ERROR(SaveUpdates(tx, updates, NowMicros()));
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
