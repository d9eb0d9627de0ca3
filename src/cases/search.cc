#include "cases/search.h"

#include <algorithm>

#include "cases/internal.h"
#include "profiles/text.h"
#include "store/sql_params.h"
#include "store/text_index.h"

namespace tp::cases {
namespace {

using store::Sql;
using store::SqlParams;

constexpr store::TextIndex kCaseText{"case_text"};

}  // namespace

Result<std::vector<Case>> SearchCases(store::TenantTx& tx, const CaseSearch& search) {
  const std::vector<std::string> words = profiles::SearchWords(search.text);
  if (words.empty()) return InvalidArgument("search for at least one word", "q");
  if (words.size() > kMaxSearchWords) {
    return InvalidArgument("search for at most " + std::to_string(kMaxSearchWords) + " words", "q");
  }
  if (search.only_teams && search.only_teams->empty()) return std::vector<Case>{};

  SqlParams params;
  std::string sql = Sql({"SELECT ", kCaseColumns, " FROM cases WHERE tenant_id = $1 AND ",
                         store::OwnerHasWords(tx, kCaseText, "id", words, params)});
  if (search.status) sql += Sql({" AND status = ", params.Bind(std::string(CaseStatusName(*search.status)))});
  if (search.team_id) sql += Sql({" AND team_id = ", params.Bind(*search.team_id)});
  if (search.assignee_id) {
    sql += *search.assignee_id ? Sql({" AND assignee_id = ", params.Bind(**search.assignee_id)})
                               : std::string(" AND assignee_id IS NULL");
  }
  if (search.only_teams) sql += Sql({" AND team_id IN (", params.BindList(*search.only_teams), ")"});
  sql += Sql({" ORDER BY updated_at DESC, id DESC LIMIT ",
              params.Bind(std::int64_t{std::clamp(search.limit, 1, kMaxSearchResults)})});

  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Case> found;
  found.reserve(rows.size());
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Case item, CaseFromRow(row));
    found.push_back(std::move(item));
  }
  return found;
}

Status IndexCaseText(store::TenantTx& tx, const Case& item, std::string_view document_id, std::string_view text) {
  std::vector<std::string> words = profiles::SearchWords(item.subject);
  if (document_id != item.id) {
    const std::vector<std::string> message_words = profiles::SearchWords(text);
    words.insert(words.end(), message_words.begin(), message_words.end());
  }
  return store::IndexDocument(tx, kCaseText, item.id, document_id, words);
}

Status ForgetCaseText(store::TenantTx& tx, const std::vector<std::string>& case_ids) {
  for (const std::string& case_id : case_ids) {
    TP_RETURN_IF_ERROR(store::DeleteOwnerDocuments(tx, kCaseText, case_id));
  }
  return case_ids.empty() ? Status::Ok() : store::PurgeDeletedDocuments(tx, kCaseText);
}

}  // namespace tp::cases
