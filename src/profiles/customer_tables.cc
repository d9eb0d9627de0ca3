#include "profiles/customer_tables.h"

namespace tp::profiles {
namespace {

constexpr std::array kTables = {
    CustomerOwnedTable{"customer_identifiers", true, OnErasure::kDelete, "kind, value, created_at", "kind, value", {}},
    CustomerOwnedTable{"trait_history", true, OnErasure::kDelete, "id, name, value, set_at, source", "set_at, id",
                       {"value"}},
    CustomerOwnedTable{"events", true, OnErasure::kDelete,
                       "id, message_id, type, name, user_id, anonymous_id, channel, amount, currency, reporting_amount, "
                       "reporting_currency, exchange_rate, properties, context, occurred_at, received_at",
                       "occurred_at, id", {"properties", "context"}},
    CustomerOwnedTable{"cases", true, OnErasure::kDelete,
                       "id, subject, status, priority, type, channel, team_id, assignee_id, tags, touchpoint, stage, "
                       "order_ids, created_at, updated_at",
                       "created_at, id", {"tags", "order_ids"}},
    // The conversation: what the person wrote and was told, and what their files were (the files
    // themselves are downloadable from the case; erasure deletes them with the records).
    CustomerOwnedTable{"case_messages", true, OnErasure::kDelete,
                       "id, case_id, kind, channel, author_type, body, body_format, created_at", "created_at, id", {}},
    CustomerOwnedTable{"case_attachments", true, OnErasure::kDelete,
                       "id, case_id, message_id, file_name, content_type, size, sha256, created_at", "created_at, id",
                       {}},
    CustomerOwnedTable{"case_changes", true, OnErasure::kDelete, "id, case_id, action, before_json, after_json, at",
                       "at, id", {"before_json", "after_json"}},
    // Derived from the case and its conversation (sla/storage.h): follows the case, not exported.
    CustomerOwnedTable{"case_sla", true, OnErasure::kDelete, "", "", {}},
    CustomerOwnedTable{"feedback_responses", true, OnErasure::kUnlink,
                       "id, survey, metric, score, comment, touchpoint, created_at", "created_at, id", {},
                       "customer_id = NULL, origin_customer_id = NULL, comment = ''"},
    // Survey responses and their answers stay for aggregates, without the person and their free text.
    CustomerOwnedTable{"survey_responses", true, OnErasure::kUnlink,
                       "id, survey_id, version, channel, touchpoint, stage, language, case_id, order_id, status, data, "
                       "started_at, submitted_at",
                       "started_at, id", {"data"}, "customer_id = NULL, origin_customer_id = NULL, data = '{}'"},
    // Derived from survey_responses.data, which the export shows.
    CustomerOwnedTable{"survey_answers", true, OnErasure::kUnlink, "", "", {},
                       "customer_id = NULL, origin_customer_id = NULL, text = CASE WHEN free_text = 1 THEN '' ELSE "
                       "text END"},
    CustomerOwnedTable{"survey_links", true, OnErasure::kDelete,
                       "id, survey_id, kind, channel, language, expires_at, response_id, created_at", "created_at, id",
                       {}},
    // The person asked not to be surveyed; erasure removes the record with them.
    CustomerOwnedTable{"survey_opt_outs", true, OnErasure::kDelete, "source, created_at", "created_at", {}},
    // Public reviews matched to the person: erasure keeps the rating for aggregates and the row, so a
    // re-import of the same review stays a duplicate instead of bringing the text back.
    CustomerOwnedTable{"reviews", true, OnErasure::kUnlink,
                       "id, source, rating, rating_scale, title, body, author, url, touchpoint, reviewed_at, imported_at",
                       "reviewed_at, id", {},
                       "customer_id = NULL, origin_customer_id = NULL, title = '', body = '', author = '', url = ''"},
    CustomerOwnedTable{"customer_notes", true, OnErasure::kDelete, "id, author_id, body, created_at", "created_at, id",
                       {}},
    // Derived from the profile (profiles::RewriteSearchTerms): rebuilt on merges, not exported.
    CustomerOwnedTable{"customer_search_terms", false, OnErasure::kDelete, "", "", {}},
    // E-mail and webhook calls sent about the person; they stay with the profile they were sent for.
    CustomerOwnedTable{"deliveries", false, OnErasure::kDelete,
                       "id, channel, destination, source, state, attempts, created_at, delivered_at", "created_at, id",
                       {}},
};

}  // namespace

std::span<const CustomerOwnedTable> CustomerOwnedTables() { return kTables; }

}  // namespace tp::profiles
