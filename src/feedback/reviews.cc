#include "feedback/reviews.h"

#include <algorithm>
#include <map>

#include "common/crypto.h"
#include "feedback/feedback.h"
#include "feedback/list_sql.h"
#include "profiles/customers.h"
#include "profiles/text.h"
#include "store/sql_params.h"

namespace tp::feedback {
namespace {

using store::Sql;
using store::SqlParams;

constexpr std::string_view kReviewIdPrefix = "rev_";
// 128 bits of the digest: collisions between distinct reviews are not a practical concern.
constexpr std::size_t kIdDigestChars = 32;
// Separates the identifying fields before hashing; it cannot occur in them (CleanLine refuses control
// characters), so ("a", "bc") and ("ab", "c") hash differently.
constexpr char kFieldSeparator = '\x1f';

constexpr std::string_view kInsertReview =
    "INSERT INTO reviews (tenant_id, id, source, rating, rating_scale, title, body, author, url, touchpoint, "
    "customer_id, reviewed_at, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
    "ON CONFLICT (tenant_id, id) DO NOTHING";
constexpr std::string_view kSelectReviewsAfter =
    "SELECT id, source, rating, rating_scale, title, body, author, url, touchpoint, customer_id, reviewed_at, "
    "imported_at FROM reviews WHERE tenant_id = $1 AND id > ";
constexpr std::string_view kAndSourceIs = " AND source = ";
constexpr std::string_view kAndReviewedFrom = " AND reviewed_at >= ";
constexpr std::string_view kAndReviewedBefore = " AND reviewed_at < ";

std::string AsciiLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c); });
  return text;
}

bool IsHttpUrl(std::string_view url) {
  const std::string lower = AsciiLower(std::string(url.substr(0, 8)));
  return (lower.starts_with("https://") && url.size() > 8) || (lower.starts_with("http://") && url.size() > 7);
}

Review ReviewFromRow(const store::Row& row) {
  return Review{.id = row.Text(0),
                .source = row.Text(1),
                .rating = static_cast<int>(row.Int(2)),
                .rating_scale = static_cast<int>(row.Int(3)),
                .title = row.Text(4),
                .text = row.Text(5),
                .author = row.Text(6),
                .url = row.Text(7),
                .touchpoint = row.Text(8),
                .customer_id = row.OptionalText(9),
                .reviewed_at = row.Int(10),
                .imported_at = row.Int(11)};
}

// The customer each identifier points to, from one statement for the whole batch.
Result<std::map<profiles::Identifier, std::string>> OwnersOf(store::TenantTx& tx,
                                                             const std::vector<NewReview>& reviews) {
  std::vector<profiles::Identifier> identifiers;
  for (const NewReview& review : reviews) {
    identifiers.insert(identifiers.end(), review.identifiers.begin(), review.identifiers.end());
  }
  std::sort(identifiers.begin(), identifiers.end());
  identifiers.erase(std::unique(identifiers.begin(), identifiers.end()), identifiers.end());
  std::map<profiles::Identifier, std::string> owners;
  if (identifiers.empty()) return owners;
  TP_ASSIGN_OR_RETURN(std::vector<profiles::IdentifierLink> links, profiles::FindIdentifierLinks(tx, identifiers));
  for (profiles::IdentifierLink& link : links) owners.emplace(link.identifier, std::move(link.customer_id));
  return owners;
}

std::optional<std::string> MatchCustomer(const NewReview& review,
                                         const std::map<profiles::Identifier, std::string>& owners) {
  std::optional<std::string> match;
  int match_strength = -1;
  for (const profiles::Identifier& identifier : review.identifiers) {
    const auto owner = owners.find(identifier);
    if (owner == owners.end() || profiles::IdentifierStrength(identifier.kind) <= match_strength) continue;
    match = owner->second;
    match_strength = profiles::IdentifierStrength(identifier.kind);
  }
  return match;
}

}  // namespace

Result<NewReview> CleanReview(NewReview input, Micros now) {
  NewReview review = std::move(input);
  TP_ASSIGN_OR_RETURN(std::string source, profiles::CleanLine(review.source, "source", kMaxReviewSourceChars, true));
  review.source = AsciiLower(std::move(source));
  if (review.rating_scale != 5 && review.rating_scale != 10) {
    return InvalidArgument("the rating scale must be 5 or 10 stars", "scale");
  }
  if (review.rating < 1 || review.rating > review.rating_scale) {
    return InvalidArgument("rating must be a whole number from 1 to " + std::to_string(review.rating_scale), "rating");
  }
  TP_ASSIGN_OR_RETURN(review.title, profiles::CleanLine(review.title, "title", kMaxReviewTitleChars, false));
  TP_RETURN_IF_ERROR(profiles::CheckFreeText(review.text, "text", kMaxReviewTextChars));
  TP_ASSIGN_OR_RETURN(review.author, profiles::CleanLine(review.author, "author", kMaxReviewAuthorChars, false));
  TP_ASSIGN_OR_RETURN(review.url, profiles::CleanLine(review.url, "url", kMaxReviewUrlChars, false));
  if (!review.url.empty() && !IsHttpUrl(review.url)) return InvalidArgument("url must be an http(s) URL", "url");
  TP_ASSIGN_OR_RETURN(review.touchpoint, profiles::CleanLine(review.touchpoint, "touchpoint", kMaxTouchpointChars, false));
  if (review.reviewed_at == 0) return InvalidArgument("a review needs its date", "date");
  TP_RETURN_IF_ERROR(profiles::CheckClientTimestamp(review.reviewed_at, now, "date"));
  return review;
}

std::string ReviewId(const NewReview& review) {
  std::string key = review.source;
  key += kFieldSeparator;
  if (!review.url.empty()) {
    key += review.url;
  } else {
    key += review.author;
    key += kFieldSeparator;
    key += FormatTimestamp(review.reviewed_at);
    key += kFieldSeparator;
    key += review.title;
  }
  return std::string(kReviewIdPrefix) + Sha256Hex(key).substr(0, kIdDigestChars);
}

Result<ReviewCounts> StoreReviews(store::TenantTx& tx, const std::vector<NewReview>& reviews, Micros now) {
  TP_ASSIGN_OR_RETURN(const auto owners, OwnersOf(tx, reviews));
  ReviewCounts counts;
  for (const NewReview& review : reviews) {
    const std::optional<std::string> customer_id = MatchCustomer(review, owners);
    TP_ASSIGN_OR_RETURN(const std::int64_t inserted,
                        tx.Execute(kInsertReview, {ReviewId(review), review.source, review.rating, review.rating_scale,
                                                   review.title, review.text, review.author, review.url,
                                                   review.touchpoint, store::Nullable(customer_id), review.reviewed_at,
                                                   now}));
    if (inserted == 0) {
      ++counts.duplicates;
      continue;
    }
    ++counts.stored;
    if (customer_id) ++counts.matched;
  }
  return counts;
}

Result<Page<Review>> ListReviews(store::TenantTx& tx, const ReviewQuery& query, const PageRequest& page) {
  SqlParams params;
  std::string sql = Sql({kSelectReviewsAfter, params.Bind(page.after_id)});
  if (query.source) sql += Sql({kAndSourceIs, params.Bind(AsciiLower(*query.source))});
  if (query.touchpoint) sql += Sql({kAndTouchpointIs, params.Bind(*query.touchpoint)});
  if (query.customer_id) sql += Sql({kAndCustomerIs, params.Bind(*query.customer_id)});
  if (query.only_teams) sql += profiles::AndCustomerServedByTeams(*query.only_teams, params);
  if (query.since) sql += Sql({kAndReviewedFrom, params.Bind(*query.since)});
  if (query.until) sql += Sql({kAndReviewedBefore, params.Bind(*query.until)});
  sql += Sql({kOrderByIdLimit, params.Bind(std::int64_t{page.limit} + 1)});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Review> reviews;
  reviews.reserve(rows.size());
  for (const store::Row& row : rows) reviews.push_back(ReviewFromRow(row));
  return MakePage(std::move(reviews), page.limit, [](const Review& review) { return review.id; });
}

}  // namespace tp::feedback
