// Identity resolution at bulk-import scale: ingest::IdentityGraph over LINKS links among about
// IDENTIFIERS identifiers shaped like real tracking data, timed in one thread.
//
//   identity_graph_bench [--links 10000000] [--persons 1000000] [--seed 1]
//
// The data (generated before the clock starts, the same for a given seed):
//   - PERSONS people with a user id ("usr_" + 8 digits); 90 % have an e-mail; each has 1–3 anonymous ids
//     (36-character UUIDs, as analytics.js makes): 1 user id + 0.9 e-mail + 2 anonymous ids on average;
//   - PERSONS / 10 anonymous-only visitors with 1–2 anonymous ids each, some of them chained;
//   - links as ingestion sees them, one per message that names two identifiers: (anonymous id, user id)
//     and (e-mail, user id) repeated as people come back, (anonymous id, anonymous id) alias chains,
//     (e-mail, anonymous id) from forms filled in before signing in;
//   - conflicts: 2 % of people also get a link from another person's anonymous id (a shared device) and
//     0.5 % from another person's e-mail (a shared mailbox): both join two user ids, so the graph must
//     refuse them.
// The links are shuffled (a bulk import sees people interleaved) and fed to IdentityGraph::Link in that
// order; the time covers Link calls only. Prints a human summary and one machine-readable line:
//   identity-result links=N identifiers=N clusters=N refused=N seconds=S rss_before_mb=N rss_peak_mb=N
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ingest/identity_graph.h"
#include "profiles/identifiers.h"

namespace {

using tp::profiles::Identifier;
using tp::profiles::IdentifierKind;

// Current resident set in MiB, from /proc/self/status.
long ResidentMiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field), nullptr, 10) / 1024;
  }
  return -1;
}

std::string Uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  std::uint64_t bits[2] = {random(), random()};
  int nibble = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    text[i] = kHex[(bits[nibble / 16] >> (4 * (nibble % 16))) & 15];
    ++nibble;
  }
  return text;
}

struct Args {
  std::size_t links = 10'000'000;
  std::size_t persons = 1'000'000;
  std::uint64_t seed = 1;
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s [--links N] [--persons N] [--seed N]\n", argv[0]);
      std::exit(2);
    }
    const std::uint64_t value = std::strtoull(argv[++i], nullptr, 10);
    if (flag == "--links") {
      args.links = value;
    } else if (flag == "--persons") {
      args.persons = value;
    } else if (flag == "--seed") {
      args.seed = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  std::mt19937_64 random(args.seed);
  std::vector<Identifier> pool;  // every identifier once; links refer to it by index
  pool.reserve(args.persons * 4 + args.persons / 5);
  struct Link {
    std::uint32_t a, b;
  };
  std::vector<Link> base;       // the links that define who is who, each once
  std::vector<Link> repeatable; // links that recur with every visit
  struct Person {
    std::uint32_t user, email;  // email == UINT32_MAX when none
    std::uint32_t first_anon, anon_count;
  };
  std::vector<Person> persons;
  persons.reserve(args.persons);
  constexpr std::uint32_t kNone = UINT32_MAX;
  const auto add = [&pool](IdentifierKind kind, std::string value) {
    pool.push_back({kind, std::move(value)});
    return static_cast<std::uint32_t>(pool.size() - 1);
  };
  for (std::size_t p = 0; p < args.persons; ++p) {
    char user[32];
    std::snprintf(user, sizeof user, "usr_%08zu", p);
    Person person{add(IdentifierKind::kUserId, user), kNone, 0, 0};
    if (random() % 10 != 0) {
      char email[64];
      static constexpr const char* kDomains[] = {"gmail.com", "seznam.cz", "example.com", "outlook.com", "firma.cz"};
      std::snprintf(email, sizeof email, "customer.%zu.%u@%s", p, static_cast<unsigned>(random() % 1000),
                    kDomains[random() % 5]);
      person.email = add(IdentifierKind::kEmail, email);
      repeatable.push_back({person.email, person.user});
    }
    person.anon_count = 1 + static_cast<std::uint32_t>(random() % 3);
    person.first_anon = static_cast<std::uint32_t>(pool.size());
    for (std::uint32_t k = 0; k < person.anon_count; ++k) {
      const std::uint32_t anon = add(IdentifierKind::kAnonymousId, Uuid(random));
      repeatable.push_back({anon, person.user});
      // A device that browsed before signing in: its first anonymous id is aliased to the next one.
      if (k > 0 && random() % 5 == 0) base.push_back({anon, anon - 1});
      // A form filled in anonymously ties the e-mail to the device before the user id is known.
      if (person.email != kNone && random() % 10 == 0) base.push_back({person.email, anon});
    }
    persons.push_back(person);
  }
  // Visitors who never signed in: 1–2 anonymous ids, the second aliased to the first.
  for (std::size_t v = 0; v < args.persons / 10; ++v) {
    const std::uint32_t first = add(IdentifierKind::kAnonymousId, Uuid(random));
    if (random() % 2 == 0) base.push_back({add(IdentifierKind::kAnonymousId, Uuid(random)), first});
  }
  // Conflicts: another person's device or mailbox names this person's user id.
  std::size_t conflicts = 0;
  for (std::size_t p = 0; p < persons.size(); ++p) {
    const Person& other = persons[random() % persons.size()];
    if (&other == &persons[p]) continue;
    if (random() % 50 == 0) {
      base.push_back({other.first_anon, persons[p].user});
      ++conflicts;
    } else if (random() % 200 == 0 && other.email != kNone) {
      base.push_back({other.email, persons[p].user});
      ++conflicts;
    }
  }
  // Every message after the first repeats one of the identifying links: fill up to the link count.
  std::vector<Link> links = base;
  links.reserve(args.links);
  for (const Link& link : repeatable) {
    if (links.size() >= args.links) break;
    links.push_back(link);
  }
  while (links.size() < args.links) links.push_back(repeatable[random() % repeatable.size()]);
  std::shuffle(links.begin(), links.end(), random);
  // The conflicting links must come after the person is known, or they would not conflict: a shared
  // device seen first with the wrong user is also how real data goes, so the order stays random.

  const long rss_before = ResidentMiB("VmRSS:");
  tp::ingest::IdentityGraph graph;
  const auto start = std::chrono::steady_clock::now();
  std::size_t refused_calls = 0;
  for (const Link& link : links) refused_calls += graph.Link(pool[link.a], pool[link.b]) ? 0 : 1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long rss_after = ResidentMiB("VmRSS:");
  const long rss_peak = ResidentMiB("VmHWM:");

  std::printf("identity graph: %zu links among %zu identifiers (%zu people, %zu conflicting links planted)\n",
              links.size(), graph.identifier_count(), persons.size(), conflicts);
  std::printf("  resolved in %.2f s (%.0f links/s): %zu clusters, %zu links refused\n", seconds,
              static_cast<double>(links.size()) / seconds, graph.cluster_count(), graph.refused_links());
  std::printf("  RSS: %ld MiB with the input alone, %ld MiB after (graph ~%ld MiB), peak %ld MiB\n", rss_before,
              rss_after, rss_after - rss_before, rss_peak);
  std::printf("identity-result links=%zu identifiers=%zu clusters=%zu refused=%zu seconds=%.3f rss_before_mb=%ld "
              "rss_after_mb=%ld rss_peak_mb=%ld\n",
              links.size(), graph.identifier_count(), graph.cluster_count(), refused_calls, seconds, rss_before,
              rss_after, rss_peak);
  return 0;
}
