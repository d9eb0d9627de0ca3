// Full-text search over cases: the words of each case's subject and of every message in its
// conversation (notes too: agents search their own notes), folded like customer search
// (profiles::SearchWords), so "zasilka" finds "Zásilka" and "posk" finds "poškozená" as you type.
// Every word must be in the subject or in one message together with the subject's words (a message is
// indexed with its case's subject), among the newest store::kMaxMatchedDocuments matching documents.
//
//   TP_ASSIGN_OR_RETURN(std::vector<Case> found,
//                       SearchCases(tx, {.text = "zásilka poškozená", .status = CaseStatus::kOpen}));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/cases.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr int kMaxSearchResults = 100;
inline constexpr std::size_t kMaxSearchWords = 10;

struct CaseSearch {
  std::string text;  // every word must match, the last one also as a prefix
  std::optional<CaseStatus> status;
  std::optional<std::string> team_id;
  std::optional<std::optional<std::string>> assignee_id;  // std::nullopt inside: unassigned
  std::optional<std::vector<std::string>> only_teams;  // an agent's teams; empty matches nothing
  int limit = 50;                                      // 1..kMaxSearchResults
};

// The matching cases, most recently updated first. kInvalidArgument field "q" for a text without words
// or with more than kMaxSearchWords.
Result<std::vector<Case>> SearchCases(store::TenantTx& tx, const CaseSearch& search);

// Index a case's subject (document id: the case's) or a message's text with its case's subject
// (cases.cc and conversation.cc call these).
Status IndexCaseText(store::TenantTx& tx, const Case& item, std::string_view document_id, std::string_view text);
// Forgets the words of the given cases (erasure).
Status ForgetCaseText(store::TenantTx& tx, const std::vector<std::string>& case_ids);

}  // namespace tp::cases
