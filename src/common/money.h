// Money as touchpoint keeps it: an exact amount in ten-thousandths of the currency's unit (61.02 EUR is
// {610200, "EUR"}), never a binary float, so that sums stay exact; four places cover every ISO 4217
// currency (the Bahraini dinar has three). Amounts of different currencies are never added together:
// totals are kept per currency, and a total in the tenant's reporting currency uses the exchange rates
// the tenant configured (settings "currency": {"reporting": "EUR", "rates": {"CZK": "0.0398"}}, where a
// rate is the reporting currency's worth of one unit of the other currency).
//
//   TP_ASSIGN_OR_RETURN(std::int64_t amount, ParseAmount(json_value, "properties.revenue"));
//   FormatAmount(610200) == "61.02"
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp {

inline constexpr std::int64_t kAmountScale = 10'000;
// The largest amount one order or refund may carry: a trillion units. Far beyond any real order, and
// small enough that sums of millions of such amounts stay exact in 64 bits.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000 * kAmountScale;

struct Money {
  std::int64_t amount = 0;  // ten-thousandths of the unit
  std::string currency;     // ISO 4217, upper-case
  bool operator==(const Money&) const = default;
};

// An amount from decimal text ("61.02", "1e3" is refused: decimal notation only, up to 4 decimals; more
// are rounded half away from zero). kInvalidArgument naming `field` when it is not a number, is
// negative or exceeds kMaxAmount.
Result<std::int64_t> ParseAmountText(std::string_view text, std::string_view field);
// The same from a JSON number (integer or floating point) whose value was parsed as a double: correct to
// the ten-thousandth for every amount up to kMaxAmount.
Result<std::int64_t> ParseAmountNumber(double value, std::string_view field);
// "61.02", "300.00", "0.0001": at least two decimals, trailing zeros beyond them dropped.
std::string FormatAmount(std::int64_t amount);

// Three ASCII letters (ISO 4217), returned upper-case. kInvalidArgument naming `field` otherwise.
Result<std::string> NormaliseCurrency(std::string_view code, std::string_view field);

// A rate as configured: decimal text with up to 8 decimals, greater than zero, kept as 10^-8 units.
struct ExchangeRate {
  std::int64_t scaled = 0;  // rate × 10^8
  std::string text;         // as configured, for the record
};
Result<ExchangeRate> ParseExchangeRate(std::string_view text, std::string_view field);
// amount × rate, rounded half away from zero; saturates at kMaxAmount × 1000 (never reached by real data).
std::int64_t Convert(std::int64_t amount, const ExchangeRate& rate);
// a + b, saturating instead of overflowing.
std::int64_t AddAmounts(std::int64_t a, std::int64_t b);

struct CurrencySettings {
  std::string reporting = "EUR";
  std::map<std::string, ExchangeRate> rates;  // by currency code; the reporting currency is implicitly 1
  // The rate from `currency` to the reporting currency; std::nullopt when none is configured.
  std::optional<ExchangeRate> RateFor(const std::string& currency) const;
};
// The "currency" member of a tenant's settings document (JSON text); defaults when it has none.
// kInvalidArgument naming "settings.currency…" when it is malformed.
Result<CurrencySettings> ParseCurrencySettings(std::string_view settings_json);

}  // namespace tp
