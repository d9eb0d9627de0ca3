#include "ingest/identity_graph.h"

#include <gtest/gtest.h>

namespace tp::ingest {
namespace {

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

}  // namespace
}  // namespace tp::ingest
