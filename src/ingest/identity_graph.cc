#include "ingest/identity_graph.h"

#include <numeric>

namespace tp::ingest {

IdentityGraph::NodeId IdentityGraph::Add(const profiles::Identifier& identifier) {
  std::string key;
  key.reserve(identifier.value.size() + 1);
  key += static_cast<char>('a' + static_cast<int>(identifier.kind));
  key += identifier.value;
  const auto [it, inserted] = nodes_.try_emplace(std::move(key), static_cast<NodeId>(parent_.size()));
  if (!inserted) return it->second;
  const NodeId node = it->second;
  parent_.push_back(node);
  size_.push_back(1);
  kinds_.push_back(identifier.kind);
  values_.push_back(identifier.value);
  user_id_of_.push_back(identifier.kind == profiles::IdentifierKind::kUserId ? std::int64_t{node} : -1);
  ++clusters_;
  return node;
}

IdentityGraph::NodeId IdentityGraph::Find(NodeId node) {
  while (parent_[node] != node) {
    parent_[node] = parent_[parent_[node]];  // path halving
    node = parent_[node];
  }
  return node;
}

bool IdentityGraph::Link(const profiles::Identifier& a, const profiles::Identifier& b) {
  NodeId root_a = Find(Add(a));
  NodeId root_b = Find(Add(b));
  if (root_a == root_b) return true;
  const std::int64_t user_a = user_id_of_[root_a];
  const std::int64_t user_b = user_id_of_[root_b];
  if (user_a >= 0 && user_b >= 0) {
    ++refused_;
    return false;
  }
  if (size_[root_a] < size_[root_b]) std::swap(root_a, root_b);
  parent_[root_b] = root_a;
  size_[root_a] += size_[root_b];
  user_id_of_[root_a] = std::max(user_a, user_b);
  --clusters_;
  return true;
}

IdentityGraph::NodeId IdentityGraph::Cluster(const profiles::Identifier& identifier) { return Find(Add(identifier)); }

std::vector<std::vector<profiles::Identifier>> IdentityGraph::Clusters() {
  std::unordered_map<NodeId, std::size_t> index_of_root;
  std::vector<std::vector<profiles::Identifier>> clusters;
  for (NodeId node = 0; node < parent_.size(); ++node) {
    const auto [it, inserted] = index_of_root.try_emplace(Find(node), clusters.size());
    if (inserted) clusters.emplace_back();
    clusters[it->second].push_back({kinds_[node], values_[node]});
  }
  return clusters;
}

}  // namespace tp::ingest
