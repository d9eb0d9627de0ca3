// Identity resolution as the product runs it: LINKS identifier links, each one message naming two
// identifiers, through ingest::IngestMessages in batches of --batch messages, one store write each (what
// POST /v1/batch does after parsing), on the store --db names (SQLite or PostgreSQL).
//
//   identity_resolution --db URL [--tenant bench] [--links 10000000] [--persons 1000000] [--batch 100]
//                       [--threads 4] [--seed 1]
//
// The links (generated before the clock starts, the same for a given seed; each batch's messages are
// built from them by its writer, inside the timing, which costs little next to ingesting them):
//   - PERSONS people with a user id ("usr_" + 8 digits); 90 % have an e-mail; each has 1–3 anonymous ids
//     (36-character UUIDs, as analytics.js makes);
//   - PERSONS / 10 anonymous-only visitors with 1–2 anonymous ids each, some of them chained;
//   - links as ingestion sees them, one per message: (anonymous id, user id) and (e-mail, user id)
//     repeated as people come back, (anonymous id, anonymous id) alias chains, (e-mail, anonymous id)
//     from forms filled in before signing in;
//   - conflicts: 2 % of people also get a link from another person's anonymous id (a shared device) and
//     0.5 % from another person's e-mail (a shared mailbox): both name two user ids, so resolution must
//     not merge the two people.
// The links are shuffled (sources see people interleaved). A link becomes an identify message (with the
// e-mail as a trait) when it names an e-mail, an alias when it names two anonymous ids, a track otherwise;
// every message id is new, so every message is stored as an event: the time is that of ingestion as a
// whole (resolution, merges, events, traits), which is what the product pays per link. --threads writers
// submit batches at once, as concurrent requests do (on SQLite they share group commits).
//
// The tenant must exist (`touchpoint tenant add`) and be empty. Prints one machine-readable line:
//   identity-result links=N seconds=S profiles=N merges=N identifiers=N live_profiles=N errors=N
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/events.h"
#include "ingest/ingest.h"
#include "profiles/identifiers.h"
#include "store/store.h"
#include "tenant_lookup.h"

namespace {

using tp::events::EventType;
using tp::events::Message;
using tp::profiles::Identifier;
using tp::profiles::IdentifierKind;

struct Args {
  std::string db, tenant = "bench";
  std::size_t links = 10'000'000;
  std::size_t persons = 1'000'000;
  std::size_t batch = 100;
  int threads = 4;
  std::uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s --db URL [--tenant SLUG] [--links N] [--persons N] [--batch N] [--threads N] [--seed N]\n",
               program);
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(argv[0]);
    const std::string value = argv[++i];
    if (flag == "--db") args.db = value;
    else if (flag == "--tenant") args.tenant = value;
    else if (flag == "--links") args.links = std::stoull(value);
    else if (flag == "--persons") args.persons = std::stoull(value);
    else if (flag == "--batch") args.batch = std::stoull(value);
    else if (flag == "--threads") args.threads = std::stoi(value);
    else if (flag == "--seed") args.seed = std::stoull(value);
    else Usage(argv[0]);
  }
  if (args.db.empty() || args.persons == 0 || args.batch == 0 || args.threads < 1) Usage(argv[0]);
  return args;
}

std::string Uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  const std::uint64_t bits[2] = {random(), random()};
  int nibble = 0;
  for (int char_idx = 0; char_idx < 36; ++char_idx) {
    if (char_idx == 8 || char_idx == 13 || char_idx == 18 || char_idx == 23) continue;
    text[char_idx] = kHex[(bits[nibble / 16] >> (4 * (nibble % 16))) & 15];
    ++nibble;
  }
  return text;
}

struct Link {
  std::uint32_t a, b;  // indexes into the identifier pool
};

struct Workload {
  std::vector<Identifier> pool;  // every identifier once
  std::vector<Link> links;
};

Workload Generate(const Args& args) {
  std::mt19937_64 random(args.seed);
  Workload workload;
  std::vector<Identifier>& pool = workload.pool;
  pool.reserve(args.persons * 4 + args.persons / 5);
  std::vector<Link> base;        // the links that define who is who, each once
  std::vector<Link> repeatable;  // links that recur with every visit
  struct Person {
    std::uint32_t user, email;  // email == kNone when none
    std::uint32_t first_anon;
  };
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::vector<Person> persons;
  persons.reserve(args.persons);
  const auto add = [&pool](IdentifierKind kind, std::string value) {
    pool.push_back({kind, std::move(value)});
    return static_cast<std::uint32_t>(pool.size() - 1);
  };
  for (std::size_t person_idx = 0; person_idx < args.persons; ++person_idx) {
    char user[32];
    std::snprintf(user, sizeof user, "usr_%08zu", person_idx);
    Person person{add(IdentifierKind::kUserId, user), kNone, 0};
    if (random() % 10 != 0) {
      static constexpr const char* kDomains[] = {"gmail.com", "seznam.cz", "example.com", "outlook.com", "firma.cz"};
      char email[64];
      std::snprintf(email, sizeof email, "customer.%zu.%u@%s", person_idx, static_cast<unsigned>(random() % 1000),
                    kDomains[random() % 5]);
      person.email = add(IdentifierKind::kEmail, email);
      repeatable.push_back({person.email, person.user});
    }
    const auto anon_count = 1 + static_cast<std::uint32_t>(random() % 3);
    person.first_anon = static_cast<std::uint32_t>(pool.size());
    for (std::uint32_t anon_idx = 0; anon_idx < anon_count; ++anon_idx) {
      const std::uint32_t anon = add(IdentifierKind::kAnonymousId, Uuid(random));
      repeatable.push_back({anon, person.user});
      // A device that browsed before signing in: its first anonymous id is aliased to the next one.
      if (anon_idx > 0 && random() % 5 == 0) base.push_back({anon, anon - 1});
      // A form filled in anonymously ties the e-mail to the device before the user id is known.
      if (person.email != kNone && random() % 10 == 0) base.push_back({person.email, anon});
    }
    persons.push_back(person);
  }
  for (std::size_t visitor_idx = 0; visitor_idx < args.persons / 10; ++visitor_idx) {
    const std::uint32_t first = add(IdentifierKind::kAnonymousId, Uuid(random));
    if (random() % 2 == 0) base.push_back({add(IdentifierKind::kAnonymousId, Uuid(random)), first});
  }
  for (const Person& person : persons) {
    const Person& other = persons[random() % persons.size()];
    if (&other == &person) continue;
    if (random() % 50 == 0) {
      base.push_back({other.first_anon, person.user});
    } else if (random() % 200 == 0 && other.email != kNone) {
      base.push_back({other.email, person.user});
    }
  }
  // Every message after the first repeats one of the identifying links: fill up to the link count.
  workload.links = base;
  workload.links.reserve(std::max(args.links, base.size()));
  for (const Link& link : repeatable) {
    if (workload.links.size() >= args.links) break;
    workload.links.push_back(link);
  }
  while (workload.links.size() < args.links) workload.links.push_back(repeatable[random() % repeatable.size()]);
  workload.links.resize(args.links);
  std::shuffle(workload.links.begin(), workload.links.end(), random);
  return workload;
}

// The message a source sends that names both identifiers of `link`.
Message MessageFor(const Workload& workload, const Link& link, std::size_t link_idx, tp::Micros at) {
  Message message;
  message.message_id = "link-" + std::to_string(link_idx);
  message.identifiers = {workload.pool[link.a], workload.pool[link.b]};
  message.channel = "web";
  message.occurred_at = at;
  message.received_at = at;
  bool has_email = false;
  for (const Identifier& identifier : message.identifiers) {
    switch (identifier.kind) {
      case IdentifierKind::kUserId: message.user_id = identifier.value; break;
      case IdentifierKind::kAnonymousId:
        (message.anonymous_id ? message.previous_id : message.anonymous_id) = identifier.value;
        break;
      case IdentifierKind::kEmail:
        has_email = true;
        message.traits = {{"email", identifier.value}};
        break;
      default: break;
    }
  }
  if (has_email) {
    message.type = EventType::kIdentify;
  } else if (message.previous_id) {
    message.type = EventType::kAlias;
  } else {
    message.type = EventType::kTrack;
    message.name = "Signed In";
  }
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const Workload workload = Generate(args);
  const tp::Micros at = tp::NowMicros();
  const std::size_t batch_count = (workload.links.size() + args.batch - 1) / args.batch;

  auto opened = tp::store::OpenStore(args.db);
  if (!opened.ok()) {
    std::fprintf(stderr, "identity_resolution: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  const std::unique_ptr<tp::store::Store> store = std::move(opened).value();
  const tp::Result<std::string> tenant = tp::bench::TenantIdBySlug(*store, args.tenant);
  if (!tenant.ok()) {
    std::fprintf(stderr, "identity_resolution: %s\n", tenant.status().ToString().c_str());
    return 1;
  }
  const std::string& tenant_id = *tenant;

  std::atomic<std::size_t> next_batch{0};
  std::atomic<std::int64_t> profiles{0}, merges{0}, errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> writers;
  for (int thread_idx = 0; thread_idx < args.threads; ++thread_idx) {
    writers.emplace_back([&] {
      std::vector<Message> batch;
      for (std::size_t batch_idx = next_batch++; batch_idx < batch_count; batch_idx = next_batch++) {
        // Built here rather than up front: 10 M messages would take gigabytes, and building one is a
        // small fraction of ingesting it.
        batch.clear();
        const std::size_t end = std::min(workload.links.size(), (batch_idx + 1) * args.batch);
        for (std::size_t link_idx = batch_idx * args.batch; link_idx < end; ++link_idx) {
          batch.push_back(MessageFor(workload, workload.links[link_idx], link_idx, at));
        }
        const tp::Status written = store->Write(tenant_id, [&](tp::store::TenantTx& tx) -> tp::Status {
          TP_ASSIGN_OR_RETURN(const tp::ingest::IngestSummary summary,
                              tp::ingest::IngestMessages(tx, batch, tp::identity::AuditContext::System()));
          profiles += summary.profiles_created;
          merges += summary.merges;
          return tp::Status::Ok();
        });
        if (!written.ok() && errors++ == 0) std::fprintf(stderr, "identity_resolution: %s\n", written.ToString().c_str());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::int64_t identifiers = -1, live_profiles = -1;
  const tp::Status counted = store->Read(tenant_id, [&](tp::store::TenantTx& tx) -> tp::Status {
    TP_ASSIGN_OR_RETURN(auto identifier_row, tx.QueryOne("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1"));
    TP_ASSIGN_OR_RETURN(auto live_row,
                        tx.QueryOne("SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"));
    identifiers = identifier_row->Int(0);
    live_profiles = live_row->Int(0);
    return tp::Status::Ok();
  });
  if (!counted.ok()) std::fprintf(stderr, "identity_resolution: %s\n", counted.ToString().c_str());
  store->Close();

  std::printf("identity resolution: %zu links (one message each) among %zu identifiers, %zu batches of %zu, %d writers\n",
              workload.links.size(), workload.pool.size(), batch_count, args.batch, args.threads);
  std::printf("  ingested in %.2f s (%.0f links/s): %lld profiles created, %lld merges, %lld identifiers stored, "
              "%lld live profiles, %lld failed batches\n",
              seconds, static_cast<double>(workload.links.size()) / seconds, static_cast<long long>(profiles.load()),
              static_cast<long long>(merges.load()), static_cast<long long>(identifiers),
              static_cast<long long>(live_profiles), static_cast<long long>(errors.load()));
  std::printf("identity-result links=%zu seconds=%.3f profiles=%lld merges=%lld identifiers=%lld live_profiles=%lld "
              "errors=%lld\n",
              workload.links.size(), seconds, static_cast<long long>(profiles.load()),
              static_cast<long long>(merges.load()), static_cast<long long>(identifiers),
              static_cast<long long>(live_profiles), static_cast<long long>(errors.load()));
  return errors.load() == 0 ? 0 : 1;
}
