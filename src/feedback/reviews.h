// Public reviews (Google, Trustpilot, app stores, Booking.com…) kept as feedback on a touchpoint: a
// rating with its title, text, author, date and URL, matched to an existing customer when the review
// carries one of the customer's identifiers. transfer/review_import.h loads them from files.
//
//   TP_ASSIGN_OR_RETURN(NewReview review, CleanReview({.source = "google", .rating = 4, ...}, now));
//   TP_ASSIGN_OR_RETURN(ReviewCounts counts, StoreReviews(tx, {review}, now));
//
// A review's id is derived from what identifies it on its site: the source and the URL, or, without a
// URL, the source, author, date and title. Storing a review again (a re-import) adds nothing and
// changes nothing. Customers are never created from reviews: a review whose identifiers match no
// customer is kept unmatched. Ratings are whole stars on a scale of 5 (the default) or 10
// (Booking.com); the scale is stored with the rating, nothing is converted. Every function works
// inside the transaction's tenant only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "profiles/identifiers.h"
#include "store/store.h"

namespace tp::feedback {

inline constexpr std::size_t kMaxReviewSourceChars = 100;
inline constexpr std::size_t kMaxReviewTitleChars = 500;
inline constexpr std::size_t kMaxReviewTextChars = 20'000;
inline constexpr std::size_t kMaxReviewAuthorChars = 200;
inline constexpr std::size_t kMaxReviewUrlChars = 2000;

struct NewReview {
  std::string source;  // required; stored lower-case, so "Google" and "google" are one source
  std::int64_t rating = 0;
  std::int64_t rating_scale = 5;  // 5 or 10
  std::string title;
  std::string text;
  Micros reviewed_at = 0;  // required
  std::string author;
  std::string url;  // http(s), or empty
  std::string touchpoint;
  // The customer's identifiers the review names (e-mail, phone, user id), normalised; the strongest
  // one held by a customer decides the match.
  std::vector<profiles::Identifier> identifiers;
};

struct Review {
  std::string id;  // "rev_…"
  std::string source;
  int rating = 0;
  int rating_scale = 5;
  std::string title;
  std::string text;
  std::string author;
  std::string url;
  std::string touchpoint;
  std::optional<std::string> customer_id;
  Micros reviewed_at = 0;
  Micros imported_at = 0;
};

// `input` trimmed, checked and with the source lower-cased. kInvalidArgument naming the field:
// "source" (empty or too long), "rating" (not 1..scale), "scale" (not 5 or 10), "title", "text",
// "author", "url" (not http(s) or too long), "touchpoint", "date" (absent, before 1970 or in the
// future beyond the clock skew).
Result<NewReview> CleanReview(NewReview input, Micros now);
// "rev_" + 32 hex digits of SHA-256 over the identifying fields of a cleaned review (see above).
std::string ReviewId(const NewReview& review);

struct ReviewCounts {
  std::int64_t stored = 0;      // new reviews
  std::int64_t duplicates = 0;  // already stored (or twice in `reviews`)
  std::int64_t matched = 0;     // new reviews matched to a customer
};
// Stores cleaned reviews (CleanReview) in the transaction: one identifier look-up for all of them,
// one insert each that skips known ids.
Result<ReviewCounts> StoreReviews(store::TenantTx& tx, const std::vector<NewReview>& reviews, Micros now);

// Every field narrows the result; since (inclusive) and until (exclusive) are on reviewed_at.
struct ReviewQuery {
  std::optional<std::string> source;
  std::optional<std::string> touchpoint;
  std::optional<std::string> customer_id;
  std::optional<Micros> since;
  std::optional<Micros> until;
  // As FeedbackQuery::only_teams: only reviews of customers with a case of one of these teams.
  std::optional<std::vector<std::string>> only_teams;
};
// Ordered by id.
Result<Page<Review>> ListReviews(store::TenantTx& tx, const ReviewQuery& query, const PageRequest& page);

}  // namespace tp::feedback
