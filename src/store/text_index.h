// Full-text indexes: the one place that speaks each backend's full-text dialect. An index is a table of
// documents, each a list of words belonging to an owner (a message's words belong to its case); a
// search finds the owners of the newest kMaxMatchedDocuments documents that hold every word, the last
// one also as a prefix (search as you type). Bounding the documents bounds the cost of a common word
// at millions of documents: the newest matches are what a person searching wants first. Documents are
// added once (messages are not edited) and forgotten with their owner.
//
//   TP_RETURN_IF_ERROR(IndexDocument(tx, kCaseText, case_id, message_id, {"zasilka", "dorazila"}));
//   const std::string match = OwnerHasWords(tx, kCaseText, "id", {"zasilka", "posk"}, params);
//   ... "SELECT … FROM cases WHERE tenant_id = $1 AND " + match ...
//
// Callers fold the words themselves (profiles::SearchWords: lower case, no diacritics), so both
// backends index and match the same tokens and neither needs a language dictionary or unaccent:
// "zasilka" finds "Zásilka". SQLite keeps them in an FTS5 table (unicode61 tokenizer; the owner id is
// an indexed column too, so forgetting an owner is an index lookup), PostgreSQL in a tsvector column
// ('simple' configuration) under a GIN index; the migrations create both shapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/sql_params.h"
#include "store/store.h"

namespace tp::store {

// A full-text index table, created by a migration with the columns (words, owner_id, tenant_id,
// document_id) on both backends.
struct TextIndex {
  std::string_view table;
};

// Adds a document. Words are searched as given.
Status IndexDocument(TenantTx& tx, const TextIndex& index, std::string_view owner_id, std::string_view document_id,
                     const std::vector<std::string>& words);
// Forgets every document of `owner_id`.
Status DeleteOwnerDocuments(TenantTx& tx, const TextIndex& index, std::string_view owner_id);
// Makes deleted documents' words unreadable in the database files (erasure). SQLite's FTS5 keeps them
// in its index segments until they are merged, so this rewrites the index: a cost proportional to its
// size, paid per erasure. PostgreSQL's GIN index drops them when VACUUM reclaims the rows (docs/security.md).
Status PurgeDeletedDocuments(TenantTx& tx, const TextIndex& index);
inline constexpr int kMaxMatchedDocuments = 2000;

// A condition on `owner_column` (e.g. "id" of cases) that holds for the owners of the newest
// kMaxMatchedDocuments documents holding every word (the last also as a prefix), with its parameters
// bound into `params`: for "… WHERE tenant_id = $1 AND <it>". Empty `words` match nothing.
std::string OwnerHasWords(TenantTx& tx, const TextIndex& index, std::string_view owner_column,
                          const std::vector<std::string>& words, SqlParams& params);

}  // namespace tp::store
