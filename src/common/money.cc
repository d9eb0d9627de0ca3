#include "common/money.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace tp {
namespace {

// Products of an amount and a scale or rate need more than 64 bits before they are rounded back.
__extension__ typedef __int128 Wide;

// Digits before and after the point, at most `max_decimals` of the latter kept (the next one rounds).
// std::nullopt when the text is not plain decimal notation or the value passes `limit`.
std::optional<std::int64_t> ParseScaledDecimal(std::string_view text, int decimals, std::int64_t limit) {
  if (text.empty()) return std::nullopt;
  std::size_t at = 0;
  Wide value = 0;
  bool any_digit = false;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    value = value * 10 + (text[at++] - '0');
    any_digit = true;
    if (value > limit) return std::nullopt;
  }
  int kept = 0;
  bool round_up = false;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (kept < decimals) {
        value = value * 10 + (text[at] - '0');
        ++kept;
      } else if (kept == decimals) {
        round_up = text[at] >= '5';
        ++kept;  // later digits do not change half-away-from-zero rounding of a non-negative value
      }
      any_digit = true;
      ++at;
    }
  }
  if (!any_digit || at != text.size()) return std::nullopt;
  for (int missing = std::min(kept, decimals); missing < decimals; ++missing) value *= 10;
  if (round_up) ++value;
  Wide scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  if (value > static_cast<Wide>(limit) * scale) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

Status AmountError(std::string_view field) {
  return InvalidArgument(std::string(field) + " must be an amount from 0 to 1000000000000 in decimal notation",
                         std::string(field));
}

}  // namespace

Result<std::int64_t> ParseAmountText(std::string_view text, std::string_view field) {
  const std::optional<std::int64_t> amount = ParseScaledDecimal(text, 4, kMaxAmount / kAmountScale);
  if (!amount) return AmountError(field);
  return *amount;
}

Result<std::int64_t> ParseAmountNumber(double value, std::string_view field) {
  if (!std::isfinite(value) || value < 0 || value > static_cast<double>(kMaxAmount / kAmountScale)) {
    return AmountError(field);
  }
  return static_cast<std::int64_t>(std::llround(value * static_cast<double>(kAmountScale)));
}

std::string FormatAmount(std::int64_t amount) {
  const bool negative = amount < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(amount + 1)) + 1 : static_cast<std::uint64_t>(amount);
  std::string fraction = std::to_string(magnitude % kAmountScale);
  fraction.insert(0, 4 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return (negative ? "-" : "") + std::to_string(magnitude / kAmountScale) + "." + fraction;
}

Result<std::string> NormaliseCurrency(std::string_view code, std::string_view field) {
  std::string upper;
  for (const char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) break;
    upper += static_cast<char>(c & ~0x20);
  }
  if (upper.size() != 3 || code.size() != 3) {
    return InvalidArgument(std::string(field) + " must be a three-letter ISO 4217 currency code such as EUR",
                           std::string(field));
  }
  return upper;
}

Result<ExchangeRate> ParseExchangeRate(std::string_view text, std::string_view field) {
  const std::optional<std::int64_t> scaled = ParseScaledDecimal(text, 8, 1'000'000'000);
  if (!scaled || *scaled == 0) {
    return InvalidArgument(std::string(field) + " must be a rate greater than 0 in decimal text, e.g. \"0.0398\"",
                           std::string(field));
  }
  return ExchangeRate{.scaled = *scaled, .text = std::string(text)};
}

std::int64_t Convert(std::int64_t amount, const ExchangeRate& rate) {
  constexpr Wide kRateScale = 100'000'000;
  const Wide product = static_cast<Wide>(amount) * rate.scaled;
  const Wide rounded = (product >= 0 ? product + kRateScale / 2 : product - kRateScale / 2) / kRateScale;
  constexpr Wide kCeiling = static_cast<Wide>(kMaxAmount) * 1000;
  if (rounded > kCeiling) return static_cast<std::int64_t>(kCeiling);
  if (rounded < -kCeiling) return static_cast<std::int64_t>(-kCeiling);
  return static_cast<std::int64_t>(rounded);
}

std::int64_t AddAmounts(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

std::optional<ExchangeRate> CurrencySettings::RateFor(const std::string& currency) const {
  if (currency == reporting) return ExchangeRate{.scaled = 100'000'000, .text = "1"};
  const auto it = rates.find(currency);
  if (it == rates.end()) return std::nullopt;
  return it->second;
}

Result<CurrencySettings> ParseCurrencySettings(std::string_view settings_json) {
  CurrencySettings settings;
  const nlohmann::json document = nlohmann::json::parse(settings_json, nullptr, false);
  if (!document.is_object()) return settings;
  const auto currency = document.find("currency");
  if (currency == document.end()) return settings;
  if (!currency->is_object()) {
    return InvalidArgument("settings.currency must be an object {\"reporting\": …, \"rates\": {…}}",
                           "settings.currency");
  }
  for (const auto& [key, value] : currency->items()) {
    if (key != "reporting" && key != "rates") {
      return InvalidArgument("unknown field '" + key + "'", "settings.currency." + key);
    }
  }
  if (const auto reporting = currency->find("reporting"); reporting != currency->end()) {
    if (!reporting->is_string()) return NormaliseCurrency("", "settings.currency.reporting").status();
    TP_ASSIGN_OR_RETURN(settings.reporting,
                        NormaliseCurrency(reporting->get<std::string>(), "settings.currency.reporting"));
  }
  if (const auto rates = currency->find("rates"); rates != currency->end()) {
    if (!rates->is_object()) {
      return InvalidArgument("settings.currency.rates must be an object of currency code to rate",
                             "settings.currency.rates");
    }
    for (const auto& [code, rate] : rates->items()) {
      const std::string field = "settings.currency.rates." + code;
      TP_ASSIGN_OR_RETURN(const std::string normalised, NormaliseCurrency(code, field));
      if (!rate.is_string()) {
        return InvalidArgument(field + " must be decimal text such as \"0.0398\" (a JSON number is a binary float)",
                               field);
      }
      TP_ASSIGN_OR_RETURN(ExchangeRate parsed, ParseExchangeRate(rate.get<std::string>(), field));
      settings.rates[normalised] = std::move(parsed);
    }
  }
  return settings;
}

}  // namespace tp
