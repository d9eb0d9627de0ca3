#include "ingest/identity_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace tp::ingest {
namespace {

using profiles::Identifier;
using profiles::IdentifierKind;

TEST(IdentityGraphTest, LinksFormClustersAndRespectOneUserIdPerPerson) {
  IdentityGraph graph;
  EXPECT_TRUE(graph.Link({IdentifierKind::kAnonymousId, "a1"}, {IdentifierKind::kUserId, "u1"}));
  EXPECT_TRUE(graph.Link({IdentifierKind::kEmail, "jana@example.cz"}, {IdentifierKind::kAnonymousId, "a1"}));
  EXPECT_TRUE(graph.Link({IdentifierKind::kAnonymousId, "a2"}, {IdentifierKind::kUserId, "u2"}));
  EXPECT_EQ(graph.Cluster({IdentifierKind::kUserId, "u1"}), graph.Cluster({IdentifierKind::kEmail, "jana@example.cz"}));
  // Tying u1's cluster to u2's would make one person of two user ids.
  EXPECT_FALSE(graph.Link({IdentifierKind::kEmail, "jana@example.cz"}, {IdentifierKind::kAnonymousId, "a2"}));
  EXPECT_EQ(graph.refused_links(), 1u);
  EXPECT_NE(graph.Cluster({IdentifierKind::kUserId, "u1"}), graph.Cluster({IdentifierKind::kUserId, "u2"}));
  // The same value under another kind is another identifier.
  EXPECT_NE(graph.Cluster({IdentifierKind::kUserId, "a1"}), graph.Cluster({IdentifierKind::kAnonymousId, "a1"}));
  EXPECT_EQ(graph.identifier_count(), 6u);
  EXPECT_EQ(graph.cluster_count(), 3u);
  std::size_t total = 0;
  for (const auto& cluster : graph.Clusters()) total += cluster.size();
  EXPECT_EQ(total, 6u);
}

TEST(IdentityGraphTest, LongChainsResolveToOneCluster) {
  IdentityGraph graph;
  constexpr int kLinks = 100'000;
  for (int i = 0; i < kLinks; ++i) {
    graph.Link({IdentifierKind::kAnonymousId, std::to_string(i)}, {IdentifierKind::kAnonymousId, std::to_string(i + 1)});
  }
  EXPECT_EQ(graph.cluster_count(), 1u);
  EXPECT_EQ(graph.Cluster({IdentifierKind::kAnonymousId, "0"}),
            graph.Cluster({IdentifierKind::kAnonymousId, std::to_string(kLinks)}));
}

Identifier Anonymous(int i) { return {IdentifierKind::kAnonymousId, "device-" + std::to_string(i)}; }

TEST(IdentityGraphTest, IdentifiersAreStillFoundAfterTheTableGrowsManyTimes) {
  IdentityGraph graph;
  // 200,000 identifiers in chains of 10: the table grows from its first size to 512 Ki slots on the way.
  constexpr int kIdentifiers = 200'000;
  constexpr int kChain = 10;
  int refused = 0;
  for (int i = 0; i < kIdentifiers; ++i) {
    if (i % kChain != 0) refused += graph.Link(Anonymous(i - 1), Anonymous(i)) ? 0 : 1;
  }
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(graph.identifier_count(), std::size_t{kIdentifiers});
  EXPECT_EQ(graph.cluster_count(), std::size_t{kIdentifiers / kChain});

  int misplaced = 0;
  std::set<IdentityGraph::NodeId> roots;
  for (int i = 0; i < kIdentifiers; ++i) {
    const IdentityGraph::NodeId root = graph.Cluster(Anonymous(i));
    if (root != graph.Cluster(Anonymous(i - i % kChain))) ++misplaced;
    roots.insert(root);
  }
  EXPECT_EQ(misplaced, 0);
  EXPECT_EQ(roots.size(), std::size_t{kIdentifiers / kChain});
  // Looking every identifier up found it rather than adding it again.
  EXPECT_EQ(graph.identifier_count(), std::size_t{kIdentifiers});
  EXPECT_EQ(graph.Add(Anonymous(0)), graph.Add(Anonymous(0)));
}

TEST(IdentityGraphTest, TheSameValueUnderEachKindIsADifferentIdentifier) {
  IdentityGraph graph;
  std::set<IdentityGraph::NodeId> nodes;
  for (const IdentifierKind kind : profiles::AllIdentifierKinds()) nodes.insert(graph.Add({kind, "same"}));
  EXPECT_EQ(nodes.size(), profiles::AllIdentifierKinds().size());
  EXPECT_EQ(graph.identifier_count(), profiles::AllIdentifierKinds().size());
  EXPECT_EQ(graph.cluster_count(), profiles::AllIdentifierKinds().size());
  EXPECT_TRUE(graph.Link({IdentifierKind::kEmail, "same"}, {IdentifierKind::kAnonymousId, "same"}));
  EXPECT_EQ(graph.Cluster({IdentifierKind::kEmail, "same"}), graph.Cluster({IdentifierKind::kAnonymousId, "same"}));
  EXPECT_NE(graph.Cluster({IdentifierKind::kEmail, "same"}), graph.Cluster({IdentifierKind::kPhone, "same"}));
  EXPECT_EQ(graph.identifier_count(), profiles::AllIdentifierKinds().size());
}

TEST(IdentityGraphTest, EmptyLongAndBinaryValuesAreKeptExactly) {
  IdentityGraph graph;
  const std::string long_value(10'000, 'x');
  const std::string long_value_but_last = long_value.substr(0, long_value.size() - 1) + 'y';
  const std::vector<Identifier> identifiers = {
      {IdentifierKind::kEmail, ""},
      {IdentifierKind::kAnonymousId, ""},
      {IdentifierKind::kAnonymousId, "x"},
      {IdentifierKind::kAnonymousId, long_value},
      {IdentifierKind::kAnonymousId, long_value_but_last},
      {IdentifierKind::kAnonymousId, long_value.substr(1)},
      {IdentifierKind::kAnonymousId, std::string("a\0b", 3)},
      {IdentifierKind::kAnonymousId, std::string("a\0c", 3)},
      {IdentifierKind::kAnonymousId, "a"},
  };
  std::set<IdentityGraph::NodeId> nodes;
  for (const Identifier& identifier : identifiers) nodes.insert(graph.Add(identifier));
  EXPECT_EQ(nodes.size(), identifiers.size());
  for (std::size_t i = 0; i < identifiers.size(); ++i) EXPECT_EQ(graph.Add(identifiers[i]), i) << i;
  EXPECT_EQ(graph.identifier_count(), identifiers.size());

  std::vector<Identifier> listed;
  for (const auto& cluster : graph.Clusters()) listed.insert(listed.end(), cluster.begin(), cluster.end());
  EXPECT_EQ(listed, identifiers);
}

TEST(IdentityGraphTest, ClustersListEveryIdentifierOnceWithItsCluster) {
  IdentityGraph graph;
  std::vector<Identifier> added;
  const auto link = [&](const Identifier& a, const Identifier& b) {
    for (const Identifier& identifier : {a, b}) {
      if (std::find(added.begin(), added.end(), identifier) == added.end()) added.push_back(identifier);
    }
    return graph.Link(a, b);
  };
  for (int person = 0; person < 500; ++person) {
    const Identifier user{IdentifierKind::kUserId, "user-" + std::to_string(person)};
    EXPECT_TRUE(link(Anonymous(2 * person), user));
    EXPECT_TRUE(link(Anonymous(2 * person + 1), Anonymous(2 * person)));
    if (person % 3 == 0) {
      EXPECT_TRUE(link({IdentifierKind::kEmail, std::to_string(person) + "@example.cz"}, user));
    }
  }
  // A shared device: refused, and the refusal adds no identifier.
  EXPECT_FALSE(link(Anonymous(0), {IdentifierKind::kUserId, "user-1"}));
  for (int visitor = 0; visitor < 100; ++visitor) graph.Add(Anonymous(10'000 + visitor));
  for (int visitor = 0; visitor < 100; ++visitor) added.push_back(Anonymous(10'000 + visitor));

  const auto clusters = graph.Clusters();
  EXPECT_EQ(clusters.size(), graph.cluster_count());
  EXPECT_EQ(clusters.size(), 600u);
  std::vector<Identifier> listed;
  for (const auto& cluster : clusters) {
    ASSERT_FALSE(cluster.empty());
    for (const Identifier& identifier : cluster) {
      EXPECT_EQ(graph.Cluster(identifier), graph.Cluster(cluster.front())) << identifier.value;
      listed.push_back(identifier);
    }
  }
  std::sort(listed.begin(), listed.end());
  std::sort(added.begin(), added.end());
  EXPECT_EQ(listed, added);
  EXPECT_EQ(graph.identifier_count(), added.size());
}

}  // namespace
}  // namespace tp::ingest
