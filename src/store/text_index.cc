#include "store/text_index.h"

namespace tp::store {
namespace {

std::string JoinWords(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& word : words) {
    if (!joined.empty()) joined += ' ';
    joined += word;
  }
  return joined;
}

// The words in the backend's query syntax, all required, the last also as a prefix. Folded words hold
// no ASCII punctuation, so quoting each is enough to keep user input from being read as operators.
std::string MatchExpression(Backend backend, const std::vector<std::string>& words) {
  std::string expression = backend == Backend::kSqlite ? "words : (" : "";
  for (std::size_t i = 0; i < words.size(); ++i) {
    const bool last = i + 1 == words.size();
    if (backend == Backend::kSqlite) {
      expression += Sql({i > 0 ? " " : "", "\"", words[i], "\"", last ? "*)" : ""});
    } else {
      expression += Sql({i > 0 ? " & " : "", "'", words[i], "'", last ? ":*" : ""});
    }
  }
  return expression;
}

}  // namespace

Status IndexDocument(TenantTx& tx, const TextIndex& index, std::string_view owner_id, std::string_view document_id,
                     const std::vector<std::string>& words) {
  const std::string table(index.table);
  const std::string value = tx.backend() == Backend::kSqlite ? "$4" : "to_tsvector('simple', $4)";
  return tx
      .Execute("INSERT INTO " + table + " (tenant_id, owner_id, document_id, words) VALUES ($1, $2, $3, " + value + ")",
               {std::string(owner_id), std::string(document_id), JoinWords(words)})
      .status();
}

Status DeleteOwnerDocuments(TenantTx& tx, const TextIndex& index, std::string_view owner_id) {
  const std::string table(index.table);
  if (tx.backend() == Backend::kPostgres) {
    return tx.Execute("DELETE FROM " + table + " WHERE tenant_id = $1 AND owner_id = $2", {std::string(owner_id)})
        .status();
  }
  // An FTS5 table has no index on ordinary columns: find the owner's rows through its own index. The
  // tokenizer splits the id at '_' and the quotes make the parts one phrase, so only this id matches.
  return tx
      .Execute(Sql({"DELETE FROM ", table, " WHERE rowid IN (SELECT rowid FROM ", table, " WHERE ", table,
                    " MATCH $2 AND tenant_id = $1)"}),
               {"owner_id : \"" + std::string(owner_id) + "\""})
      .status();
}

Status PurgeDeletedDocuments(TenantTx& tx, const TextIndex& index) {
  if (tx.backend() == Backend::kPostgres) return Status::Ok();
  // FTS5's 'optimize' command is an INSERT into the table's own column; the tenant-scope check of
  // TenantTx wants $1, which a harmless comparison supplies.
  const std::string table(index.table);
  return tx
      .Execute(Sql({"INSERT INTO ", table, " (", table, ") SELECT 'optimize' WHERE $1 IS NOT NULL"}), {})
      .status();
}

std::string OwnerHasWords(TenantTx& tx, const TextIndex& index, std::string_view owner_column,
                          const std::vector<std::string>& words, SqlParams& params) {
  if (words.empty()) return "1 = 0";
  const std::string table(index.table);
  const std::string match = params.Bind(MatchExpression(tx.backend(), words));
  const std::string limit = params.Bind(std::int64_t{kMaxMatchedDocuments});
  // Newest first: FTS5 walks its index in rowid (insertion) order; PostgreSQL may walk the primary key
  // (document ids are time-ordered) backwards for a common word, or the GIN index for a rare one.
  if (tx.backend() == Backend::kSqlite) {
    return Sql({owner_column, " IN (SELECT owner_id FROM ", table, " WHERE ", table, " MATCH ", match,
                " AND tenant_id = $1 ORDER BY rowid DESC LIMIT ", limit, ")"});
  }
  return Sql({owner_column, " IN (SELECT owner_id FROM ", table, " WHERE tenant_id = $1 AND words @@ to_tsquery('simple', ",
              match, ") ORDER BY document_id DESC LIMIT ", limit, ")"});
}

}  // namespace tp::store
