// Identity resolution over many links at once, in memory: bulk imports and re-resolution feed it every
// (identifier, identifier) pair they see and get back the clusters of identifiers that belong to one
// person. A union-find with path halving and union by size, so 10 million links resolve in seconds,
// that applies the same per-kind rule as the profiles: a cluster holds at most one user id, so a link
// between two clusters with different user ids is refused (and counted) rather than merging two people.
//
//   IdentityGraph graph;
//   graph.Link({kAnonymousId, "a1"}, {kUserId, "u1"});
//   graph.Link({kEmail, "jana@example.cz"}, {kUserId, "u1"});
//   graph.Cluster({kAnonymousId, "a1"}) == graph.Cluster({kEmail, "jana@example.cz"});
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "profiles/identifiers.h"

namespace tp::ingest {

class IdentityGraph {
 public:
  using NodeId = std::uint32_t;

  // Adds the identifier (if new) and returns its node.
  NodeId Add(const profiles::Identifier& identifier);
  // Ties two identifiers together. Returns false, leaving both clusters apart, when each already holds
  // a different user id.
  bool Link(const profiles::Identifier& a, const profiles::Identifier& b);
  // The representative node of the identifier's cluster.
  NodeId Cluster(const profiles::Identifier& identifier);
  NodeId Find(NodeId node);

  std::size_t identifier_count() const { return kinds_.size(); }
  std::size_t cluster_count() const { return clusters_; }
  std::size_t refused_links() const { return refused_; }
  // Every cluster as the list of its identifiers.
  std::vector<std::vector<profiles::Identifier>> Clusters();

 private:
  struct KeyHash {
    std::size_t operator()(const std::string& key) const noexcept { return std::hash<std::string>{}(key); }
  };

  std::unordered_map<std::string, NodeId, KeyHash> nodes_;  // kind byte + value → node
  std::vector<NodeId> parent_;
  std::vector<std::uint32_t> size_;
  std::vector<profiles::IdentifierKind> kinds_;
  std::vector<std::string> values_;
  std::vector<std::int64_t> user_id_of_;  // per root: the node of its user id, -1 when none
  std::size_t clusters_ = 0;
  std::size_t refused_ = 0;
};

}  // namespace tp::ingest
