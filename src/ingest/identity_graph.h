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
//
// Layout: every Link looks up two identifiers among millions, nearly all of them already known, and
// each read that misses the cache costs more than the rest of the link, so a lookup touches as little
// memory as it can. Keys live back to back in one arena (a heap string each would be millions of
// allocations); an open-addressing table (linear probing, at most 70 % full) points straight at them,
// not through a per-node index that would cost one more miss, and keeps half of each hash, so finding
// a known identifier reads one slot and, when the hash matches, its key: no key is built, nothing is
// allocated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

  std::size_t identifier_count() const { return parent_.size(); }
  std::size_t cluster_count() const { return clusters_; }
  std::size_t refused_links() const { return refused_; }
  // Every cluster as the list of its identifiers.
  std::vector<std::vector<profiles::Identifier>> Clusters();

 private:
  static constexpr NodeId kEmptySlot = UINT32_MAX;

  struct Slot {
    std::size_t key_begin = 0;    // where the node's key is in keys_
    std::uint32_t hash_high = 0;  // the hash's top half (the slot index comes from the bottom half)
    NodeId node = kEmptySlot;
  };
  // A node's key as kept in keys_: the value's size, the kind byte, the value.
  struct StoredKey {
    profiles::IdentifierKind kind;
    std::string_view value;
    std::size_t end;  // where the next node's key begins
  };

  static std::uint64_t Hash(profiles::IdentifierKind kind, std::string_view value);
  // Grows the table if this many new identifiers would fill it beyond 70 %.
  void MakeRoomFor(std::size_t new_identifiers);
  // Add, once MakeRoomFor(1) has run and the identifier is hashed.
  NodeId FindOrInsert(const profiles::Identifier& identifier, std::uint64_t hash);
  std::size_t HomeSlot(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
  StoredKey KeyAt(std::size_t key_begin) const;

  std::vector<Slot> slots_;  // a power of two of them, or none before the first Add
  std::string keys_;         // every node's key, in node order
  std::vector<NodeId> parent_;
  std::vector<std::uint32_t> size_;
  std::vector<std::int64_t> user_id_of_;  // per root: the node of its user id, -1 when none
  std::size_t clusters_ = 0;
  std::size_t refused_ = 0;
};

}  // namespace tp::ingest
