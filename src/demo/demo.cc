#include "demo/demo.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <optional>
#include <random>
#include <set>

#include "cases/cases.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "demo/content.h"
#include "events/events.h"
#include "feedback/feedback.h"
#include "ingest/ingest.h"
#include "identity/audit.h"
#include "identity/teams.h"
#include "rules/rules.h"
#include "surveys/surveys.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "profiles/customers.h"
#include "profiles/text.h"

namespace tp::demo {
namespace {

constexpr Micros kHour = 3600LL * 1'000'000;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kPeriod = 180 * kDay;
// Rows per transaction: large enough that commits (one fsync each) do not dominate, small enough that
// the single SQLite writer is not held for long.
constexpr size_t kBatchSize = 500;
constexpr size_t kPasswordBytes = 18;  // 24 base64url characters, 144 random bits
constexpr std::string_view kUserDomain = "@demo.touchpoint.local";

constexpr std::string_view kAnyCxData =
    "SELECT 1 FROM customers WHERE tenant_id = $1 UNION ALL SELECT 1 FROM cases WHERE tenant_id = $1 "
    "UNION ALL SELECT 1 FROM feedback_responses WHERE tenant_id = $1 LIMIT 1";

struct UserSpec {
  identity::Role role;
  std::string_view mailbox;
  std::string_view name;
};
constexpr std::array<UserSpec, 5> kUsers = {{
    {identity::Role::kAdmin, "admin", "Alena Dvořáková"},
    {identity::Role::kManager, "manager", "Martin Kovář"},
    {identity::Role::kAgent, "agent", "Tereza Malá"},
    {identity::Role::kAnalyst, "analyst", "Ondřej Beneš"},
    {identity::Role::kViewer, "viewer", "Viktor Šimek"},
}};

struct TeamSpec {
  Department department;
  std::string_view name;
  std::string_view kind;
  std::string_view description;
};
constexpr std::array<TeamSpec, 4> kTeams = {{
    {Department::kMarketing, "Marketing", "marketing", "Campaigns, newsletters and the loyalty programme"},
    {Department::kSales, "Sales", "sales", "Orders, invoices and questions before a purchase"},
    {Department::kService, "Service", "service", "Deliveries, returns, refunds and complaints"},
    {Department::kIt, "IT", "it", "Accounts, the website, the app and payments"},
}};

struct ChannelWeight {
  int weight;
  Channel channel;
};
constexpr std::array<ChannelWeight, 7> kChannels = {{{35, Channel::kEmail},
                                                {20, Channel::kWebchat},
                                                {18, Channel::kPhone},
                                                {10, Channel::kWhatsapp},
                                                {5, Channel::kMessenger},
                                                {10, Channel::kWeb},
                                                {2, Channel::kOther}}};
// Priority weights low, normal, high, urgent.
constexpr std::array<int, 4> kUsualPriorities = {22, 58, 17, 3};
constexpr std::array<int, 4> kPressingPriorities = {5, 45, 38, 12};
constexpr std::array<cases::CasePriority, 4> kPriorities = {cases::CasePriority::kLow, cases::CasePriority::kNormal,
                                                            cases::CasePriority::kHigh, cases::CasePriority::kUrgent};
// Metric weights NPS, CSAT, CES.
constexpr std::array<int, 3> kMetricWeights = {50, 35, 15};
constexpr std::array<feedback::Metric, 3> kMetrics = {feedback::Metric::kNps, feedback::Metric::kCsat,
                                                      feedback::Metric::kCes};

// Draws that are the same on every platform: std::mt19937_64's sequence is fixed by the standard, the
// standard distributions are not, so values are derived from its raw output here.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  size_t Below(size_t bound) { return static_cast<size_t>(engine_() % bound); }
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool Chance(double probability) { return Unit() < probability; }
  // A standard normal value (Box–Muller).
  double Normal() {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - Unit()));
    return radius * std::cos(2.0 * std::numbers::pi * Unit());
  }
  Micros Between(Micros from, Micros to) { return from + static_cast<Micros>(Unit() * static_cast<double>(to - from)); }
  std::string_view Pick(std::span<const std::string_view> items) { return items[Below(items.size())]; }
  // An index into `weights`, drawn in proportion to them.
  size_t Index(std::span<const int> weights) {
    int total = 0;
    for (int weight : weights) total += weight;
    int draw = static_cast<int>(Below(static_cast<size_t>(total)));
    for (size_t weight_idx = 0; weight_idx < weights.size(); ++weight_idx) {
      draw -= weights[weight_idx];
      if (draw < 0) return weight_idx;
    }
    return weights.size() - 1;
  }
  std::string Digits(size_t count) {
    std::string digits;
    for (size_t digit_idx = 0; digit_idx < count; ++digit_idx) digits += static_cast<char>('0' + Below(10));
    return digits;
  }

 private:
  std::mt19937_64 engine_;
};

template <typename Item, size_t kCount>
std::array<int, kCount> WeightsOf(const std::array<Item, kCount>& items) {
  std::array<int, kCount> weights{};
  for (size_t item_idx = 0; item_idx < kCount; ++item_idx) weights[item_idx] = items[item_idx].weight;
  return weights;
}

struct CustomerPlan {
  profiles::NewCustomer input;
  size_t language = 0;
};

struct CasePlan {
  size_t customer = 0;
  cases::NewCase input;  // without customer_id, team_id and assignee_id, known once written
  Department department = Department::kService;
  bool assigned = false;
};

struct FeedbackPlan {
  std::optional<size_t> customer;
  feedback::NewFeedback input;  // without customer_id
};

// "+420 777 123 456": the prefix, then the national number in groups of three.
std::string PhoneNumber(Random& random, const Language& language) {
  std::string national(random.Pick(language.phone_leads));
  national += random.Digits(static_cast<size_t>(language.phone_digits) - national.size());
  std::string formatted(language.phone_prefix);
  for (size_t digit_idx = 0; digit_idx < national.size(); ++digit_idx) {
    if (digit_idx % 3 == 0) formatted += ' ';
    formatted += national[digit_idx];
  }
  return formatted;
}

// jana.novakova@seznam.cz, jnovakova@…, jana.novakova84@…; never the same address twice.
std::string EmailAddress(Random& random, const Language& language, std::string_view first, std::string_view last,
                         std::set<std::string>& taken) {
  const std::string first_key = profiles::SearchKey(first);
  const std::string last_key = profiles::SearchKey(last);
  std::string local = random.Chance(0.25) ? first_key.substr(0, 1) + last_key : first_key + "." + last_key;
  if (random.Chance(0.3)) local += std::to_string(10 + random.Below(90));
  const std::string domain(random.Pick(language.email_domains));
  std::string address = local + "@" + domain;
  for (int suffix = 2; !taken.insert(address).second; ++suffix) {
    address = local + std::to_string(suffix) + "@" + domain;
  }
  return address;
}

std::string Segment(double lifetime_value, Micros created_at, Micros now) {
  if (now - created_at < 30 * kDay) return "new";
  if (lifetime_value > 1000) return "vip";
  if (lifetime_value > 250) return "regular";
  return "occasional";
}

// Times spread over the period before `now`, sorted oldest first so that rows written in this order
// get ids in created_at order.
std::vector<CustomerPlan> PlanCustomers(Random& random, int count, Micros now) {
  std::vector<Micros> times;
  for (int customer_idx = 0; customer_idx < count; ++customer_idx) times.push_back(now - random.Between(0, kPeriod));
  std::sort(times.begin(), times.end());

  const auto language_weights = WeightsOf(kLanguages);
  std::set<std::string> emails;
  std::set<std::string> phones;  // phone numbers identify a person, so no two customers share one
  std::vector<CustomerPlan> plans;
  for (const Micros created_at : times) {
    const size_t language_idx = random.Index(language_weights);
    const Language& language = kLanguages[language_idx];
    const bool female = random.Chance(0.5);
    const std::string_view first = random.Pick(female ? language.female_first_names : language.male_first_names);
    const size_t surname_idx = random.Below(language.male_surnames.size());
    const std::string_view last = (female ? language.female_surnames : language.male_surnames)[surname_idx];
    const bool has_email = random.Chance(0.92);
    const bool has_phone = random.Chance(0.8) || !has_email;
    const double lifetime_value = std::round(std::exp(std::log(180.0) + 0.9 * random.Normal()) * 100) / 100;
    const nlohmann::json traits = {{"city", random.Pick(language.cities)},
                                   {"segment", Segment(lifetime_value, created_at, now)},
                                   {"language", language.code},
                                   {"lifetime_value", lifetime_value}};
    CustomerPlan plan{.input = {.name = std::string(first) + " " + std::string(last),
                                .traits_json = traits.dump(),
                                .created_at = created_at},
                      .language = language_idx};
    if (has_email) plan.input.email = EmailAddress(random, language, first, last, emails);
    if (has_phone) {
      std::string phone = PhoneNumber(random, language);
      while (!phones.insert(profiles::SearchKey(phone)).second) phone = PhoneNumber(random, language);
      plan.input.phone = std::move(phone);
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

// Young cases are still being worked on; after two weeks nearly all are solved or closed.
cases::CaseStatus StatusForAge(Random& random, Micros age) {
  using cases::CaseStatus;
  if (age < 2 * kDay) {
    constexpr std::array<int, 3> kWeights = {40, 35, 25};
    return std::array{CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kPending}[random.Index(kWeights)];
  }
  if (age < 14 * kDay) {
    constexpr std::array<int, 4> kWeights = {20, 20, 40, 20};
    return std::array{CaseStatus::kOpen, CaseStatus::kPending, CaseStatus::kSolved,
                      CaseStatus::kClosed}[random.Index(kWeights)];
  }
  return random.Chance(0.15) ? CaseStatus::kSolved : CaseStatus::kClosed;
}

std::vector<CasePlan> PlanCases(Random& random, int count, const std::vector<CustomerPlan>& customers, Micros now) {
  const auto topic_weights = WeightsOf(kCaseTopics);
  const auto channel_weights = WeightsOf(kChannels);
  std::vector<CasePlan> plans;
  for (int case_idx = 0; case_idx < count; ++case_idx) {
    const size_t customer_idx = random.Below(customers.size());
    const CustomerPlan& customer = customers[customer_idx];
    const Micros created_at = random.Between(*customer.input.created_at, now);
    const CaseTopic& topic = kCaseTopics[random.Index(topic_weights)];
    std::string subject(topic.subjects[customer.language]);
    if (const size_t marker = subject.find("{order}"); marker != std::string::npos) {
      subject.replace(marker, std::string_view("{order}").size(), std::to_string(240000 + random.Below(60000)));
    }
    const cases::CaseStatus status = StatusForAge(random, now - created_at);
    const cases::CasePriority priority =
        kPriorities[random.Index(topic.pressing ? kPressingPriorities : kUsualPriorities)];
    plans.push_back(CasePlan{.customer = customer_idx,
                             .input = {.subject = std::move(subject),
                                       .channel = kChannels[random.Index(channel_weights)].channel,
                                       .priority = priority,
                                       .status = status,
                                       .created_at = created_at},
                             .department = topic.department,
                             .assigned = status != cases::CaseStatus::kNew && random.Chance(0.85)});
  }
  std::stable_sort(plans.begin(), plans.end(), [](const CasePlan& left, const CasePlan& right) {
    return *left.input.created_at < *right.input.created_at;
  });
  return plans;
}

// The score on `metric`'s scale for a latent satisfaction in [0, 1].
int ScoreOf(feedback::Metric metric, double satisfaction) {
  const int low = feedback::MinScore(metric);
  const int high = feedback::MaxScore(metric);
  return low + static_cast<int>(std::lround(satisfaction * (high - low)));
}

std::vector<FeedbackPlan> PlanFeedback(Random& random, int count, const std::vector<CustomerPlan>& customers,
                                       Micros now) {
  const auto touchpoint_weights = WeightsOf(kTouchpoints);
  const auto language_weights = WeightsOf(kLanguages);
  std::vector<FeedbackPlan> plans;
  for (int response_idx = 0; response_idx < count; ++response_idx) {
    const Touchpoint& touchpoint = kTouchpoints[random.Index(touchpoint_weights)];
    const feedback::Metric metric = kMetrics[random.Index(kMetricWeights)];
    FeedbackPlan plan;
    size_t language_idx = 0;
    Micros created_at = 0;
    if (random.Chance(0.85)) {
      plan.customer = random.Below(customers.size());
      language_idx = customers[*plan.customer].language;
      created_at = random.Between(*customers[*plan.customer].input.created_at, now);
    } else {
      language_idx = random.Index(language_weights);
      created_at = now - random.Between(0, kPeriod);
    }
    // Answers scatter around the touchpoint's quality, which for some touchpoints rose over the period.
    const double progress = 1.0 - static_cast<double>(now - created_at) / static_cast<double>(kPeriod);
    const double mean = touchpoint.quality + touchpoint.improvement * (progress - 0.5);
    const double satisfaction = std::clamp(mean + 0.22 * random.Normal(), 0.0, 1.0);
    std::string comment;
    if (random.Chance(0.45)) {
      if (satisfaction >= 0.75) {
        comment = touchpoint.praise[language_idx];
      } else if (satisfaction <= 0.5) {
        comment = touchpoint.complaint[language_idx];
      } else {
        comment = kNeutralComments[language_idx][random.Below(kNeutralComments[language_idx].size())];
      }
    }
    plan.input = {.survey = std::string(touchpoint.survey_prefix) + "-" + std::string(feedback::MetricName(metric)),
                  .metric = metric,
                  .score = ScoreOf(metric, satisfaction),
                  .comment = std::move(comment),
                  .touchpoint = std::string(touchpoint.name),
                  .created_at = created_at};
    plans.push_back(std::move(plan));
  }
  std::stable_sort(plans.begin(), plans.end(), [](const FeedbackPlan& left, const FeedbackPlan& right) {
    return *left.input.created_at < *right.input.created_at;
  });
  return plans;
}

Status CheckCount(int count, std::string_view field) {
  if (count < 0 || count > kMaxDemoRows) {
    return InvalidArgument(std::string(field) + " must be from 0 to " + std::to_string(kMaxDemoRows),
                           std::string(field));
  }
  return Status::Ok();
}

// Runs write(tx, item_idx) for every index, one transaction per kBatchSize items. `write` may run
// again for a batch the store retries, so it must only assign, never append.
// What the shop's website told touchpoint about a customer, as a Segment source would: an identify
// when they signed up, then page views, orders and the odd refund between sign-up and now.
Result<std::vector<events::Message>> PlanEvents(Random& random, const profiles::Customer& customer,
                                                std::string_view user_id, Micros now) {
  static constexpr std::array<std::string_view, 6> kPages = {"Home", "Pricing", "Product", "Cart", "Help", "Account"};
  std::vector<events::Message> messages;
  const Micros span = std::max<Micros>(now - customer.created_at, 0);
  auto add = [&](events::EventType type, std::string name, Micros at) -> events::Message& {
    events::Message& message = messages.emplace_back();
    message.message_id = "demo-" + customer.id + "-" + std::to_string(messages.size());
    message.type = type;
    message.name = std::move(name);
    message.user_id = std::string(user_id);
    message.identifiers = {{profiles::IdentifierKind::kUserId, std::string(user_id)}};
    message.channel = ChannelName(type == events::EventType::kPage ? Channel::kWeb : Channel::kServer);
    message.occurred_at = at;
    message.received_at = at;
    return message;
  };
  events::Message& identify = add(events::EventType::kIdentify, "", customer.created_at);
  identify.traits = nlohmann::json::parse(customer.traits_json);
  identify.traits["name"] = customer.name;
  // The contact data ties the sign-up to the customer the shop already knew.
  if (customer.email) {
    identify.traits["email"] = *customer.email;
    identify.identifiers.push_back({profiles::IdentifierKind::kEmail, *customer.email});
  }
  if (customer.phone) {
    identify.traits["phone"] = *customer.phone;
    identify.identifiers.push_back({profiles::IdentifierKind::kPhone, *customer.phone});
  }
  const int views = 2 + static_cast<int>(random.Below(8));
  for (int view = 0; view < views; ++view) {
    add(events::EventType::kPage, std::string(random.Pick(kPages)), customer.created_at + random.Between(0, span));
  }
  const int orders = random.Chance(0.6) ? 1 + static_cast<int>(random.Below(4)) : 0;
  for (int order = 0; order < orders; ++order) {
    const double total = std::round(std::exp(std::log(60.0) + 0.7 * random.Normal()) * 100) / 100;
    const std::string order_id = "D" + random.Digits(8);
    events::Message& placed = add(events::EventType::kTrack, std::string(events::kOrderCompleted),
                                  customer.created_at + random.Between(0, span));
    placed.properties = {{"order_id", order_id}, {"revenue", total}, {"currency", "EUR"}};
    TP_RETURN_IF_ERROR(events::ApplyOrderFields(placed));
    if (random.Chance(0.08)) {
      events::Message& refund = add(events::EventType::kTrack, std::string(events::kOrderRefunded),
                                    std::min(now, placed.occurred_at + random.Between(kDay, 14 * kDay)));
      refund.properties = {{"order_id", order_id}, {"revenue", total}, {"currency", "EUR"}};
      TP_RETURN_IF_ERROR(events::ApplyOrderFields(refund));
    }
  }
  return messages;
}

Status WriteInBatches(store::Store& store, const std::string& tenant_id, size_t count,
                      const std::function<Status(store::TenantTx&, size_t)>& write) {
  for (size_t start = 0; start < count; start += kBatchSize) {
    const size_t end = std::min(count, start + kBatchSize);
    TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](store::TenantTx& tx) -> Status {
      for (size_t item_idx = start; item_idx < end; ++item_idx) TP_RETURN_IF_ERROR(write(tx, item_idx));
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

// The two rules every CX team starts with (docs/rules.md). A detractor's case goes to the team that owns
// the touchpoint: IT for the website and the app, Service for the rest. Post-case CSAT surveys come from
// the call centre and returns desks, where the demo's cases are handled.
Status CreateStarterRules(store::TenantTx& tx, const identity::AuditContext& audit, const std::string& service_team,
                          const std::string& it_team, Micros now) {
  const rules::RuleSpec detractor{
      .name = "Detractor: follow-up case within 24 h",
      .trigger = "feedback.submitted",
      .condition = R"(metric == "nps" and score <= 6 and customer_id != null)",
      .actions = nlohmann::json::array(
          {{{"type", "create_case"},
            {"team_by_touchpoint", {{"website checkout", it_team}, {"mobile app", it_team}}},
            {"team_id", service_team},
            {"priority", "high"},
            {"subject", "Call back within 24 h: NPS {{score}} at {{touchpoint}} from {{customer.name}}: {{comment}}"}}}),
      .enabled = true,
      .position = 1};
  const rules::RuleSpec unhappy_after_case{
      .name = "CSAT 2 or less after a case: team lead review",
      .trigger = "feedback.submitted",
      .condition = R"(metric == "csat" and score <= 2 and touchpoint in ["call centre", "returns"] and customer_id != null)",
      .actions = nlohmann::json::array(
          {{{"type", "create_case"},
            {"team_id", service_team},
            {"priority", "urgent"},
            {"subject", "Team lead review: CSAT {{score}} after a case at {{touchpoint}}: {{comment}}"}}}),
      .enabled = true,
      .position = 2};
  for (const rules::RuleSpec& spec : {detractor, unhappy_after_case}) {
    TP_RETURN_IF_ERROR(rules::CreateRule(tx, audit, spec, now).status());
  }
  return Status::Ok();
}

// Every survey text in the five languages the demo's customers speak (SurveyJS's localisable strings).
nlohmann::json InFiveLanguages(std::string_view en, std::string_view cs, std::string_view sk, std::string_view pl,
                               std::string_view sl) {
  return {{"default", en}, {"cs", cs}, {"sk", sk}, {"pl", pl}, {"sl", sl}};
}

nlohmann::json AttributeRow(std::string_view value, const nlohmann::json& text) {
  return {{"value", value}, {"text", text}};
}

// Two live surveys a retailer starts with, in SurveyJS's format: NPS with attribute ratings after a
// delivery, and CSAT after a case. The delivery survey gets a public link, printed by `demo-data`, so
// that a new user can answer it in a browser at once.
struct DemoSurveys {
  std::string delivery_nps_id;
  std::string case_csat_id;
  std::string public_token;
};

Result<DemoSurveys> CreateStarterSurveys(store::TenantTx& tx, const identity::AuditContext& audit) {
  const nlohmann::json reason = {
      {"type", "comment"},
      {"name", "reason"},
      {"title", InFiveLanguages("What is the main reason for your score?", "Co je hlavním důvodem vašeho hodnocení?",
                                "Čo je hlavným dôvodom vášho hodnotenia?", "Jaki jest główny powód Twojej oceny?",
                                "Kaj je glavni razlog za vašo oceno?")}};
  const nlohmann::json delivery = {
      {"pages",
       {{{"elements",
          {{{"type", "rating"},
            {"name", "recommend"},
            {"isRequired", true},
            {"rateMin", 0},
            {"rateMax", 10},
            {"title", InFiveLanguages("How likely are you to recommend Demo Retail to a friend?",
                                      "Jak pravděpodobně byste Demo Retail doporučili známým?",
                                      "Aké pravdepodobné je, že by ste Demo Retail odporučili známym?",
                                      "Jak prawdopodobne jest, że polecisz Demo Retail znajomym?",
                                      "Kako verjetno je, da bi Demo Retail priporočili prijateljem?")}},
           reason,
           {{"type", "matrix"},
            {"name", "attributes"},
            {"title", InFiveLanguages("How did we do?", "Jak jsme si vedli?", "Ako sme si viedli?", "Jak nam poszło?",
                                      "Kako smo se odrezali?")},
            {"columns", {1, 2, 3, 4, 5}},
            {"rows",
             {AttributeRow("speed", InFiveLanguages("Delivery speed", "Rychlost doručení", "Rýchlosť doručenia",
                                                    "Szybkość dostawy", "Hitrost dostave")),
              AttributeRow("communication", InFiveLanguages("Communication", "Komunikace", "Komunikácia",
                                                            "Komunikacja", "Komunikacija")),
              AttributeRow("staff", InFiveLanguages("Courier's friendliness", "Vstřícnost kurýra", "Ústretovosť kuriéra",
                                                    "Uprzejmość kuriera", "Prijaznost kurirja")),
              AttributeRow("packaging", InFiveLanguages("Packaging", "Balení", "Balenie", "Opakowanie", "Embalaža"))}}}}}}}}};
  const nlohmann::json after_case = {
      {"pages",
       {{{"elements",
          {{{"type", "rating"},
            {"name", "satisfied"},
            {"isRequired", true},
            {"rateMin", 1},
            {"rateMax", 5},
            {"title", InFiveLanguages("How satisfied are you with how we handled your request?",
                                      "Jak jste spokojeni s vyřízením vašeho požadavku?",
                                      "Ako ste spokojní s vybavením vašej požiadavky?",
                                      "Jak oceniasz załatwienie Twojej sprawy?",
                                      "Kako ste zadovoljni z obravnavo vaše zahteve?")}},
           reason}}}}}};
  DemoSurveys created;
  TP_ASSIGN_OR_RETURN(const surveys::Survey nps,
                      surveys::CreateSurvey(tx,
                                            {.name = "After delivery",
                                             .touchpoint = "delivery",
                                             .stage = "fulfilment",
                                             .definition = delivery,
                                             .metrics = {{"nps", {{"question", "recommend"}, {"comment", "reason"}}}},
                                             .status = surveys::SurveyStatus::kLive},
                                            audit));
  TP_ASSIGN_OR_RETURN(const surveys::Survey csat,
                      surveys::CreateSurvey(tx,
                                            {.name = "After your case",
                                             .touchpoint = "call centre",
                                             .stage = "service",
                                             .definition = after_case,
                                             .metrics = {{"csat", {{"question", "satisfied"}, {"comment", "reason"}}}},
                                             .status = surveys::SurveyStatus::kLive},
                                            audit));
  TP_ASSIGN_OR_RETURN(const surveys::SurveyLink link,
                      surveys::CreateLink(tx, {.survey_id = nps.id, .kind = surveys::LinkKind::kPublic}, audit));
  return DemoSurveys{.delivery_nps_id = nps.id, .case_csat_id = csat.id, .public_token = link.token};
}

// The rules that send the starter surveys. They are off: invitations go by e-mail, and the demo server
// has no SMTP server until one is configured (`serve --smtp-url`); docs/rules.md has the recipes.
Status CreateSurveyRules(store::TenantTx& tx, const identity::AuditContext& audit, const DemoSurveys& surveys,
                         Micros now) {
  const rules::RuleSpec csat_after_case{
      .name = "CSAT survey when a case is solved (turn on once mail is set up)",
      .trigger = "case.updated",
      .condition = R"(after.status == "solved")",
      .actions = nlohmann::json::array({{{"type", "send_survey"}, {"survey_id", surveys.case_csat_id}}}),
      .enabled = false,
      .position = 3};
  const rules::RuleSpec nps_after_order{
      .name = "NPS survey a week after an order (turn on once mail is set up)",
      .trigger = "events.ingested",
      .condition = R"(event.name == "Order Completed")",
      .actions = nlohmann::json::array(
          {{{"type", "send_survey"}, {"survey_id", surveys.delivery_nps_id}, {"delay_hours", 168}}}),
      .enabled = false,
      .position = 4};
  for (const rules::RuleSpec& spec : {csat_after_case, nps_after_order}) {
    TP_RETURN_IF_ERROR(rules::CreateRule(tx, audit, spec, now).status());
  }
  return Status::Ok();
}

}  // namespace

Result<DemoSummary> CreateDemoData(store::Store& store, const DemoOptions& options) {
  TP_RETURN_IF_ERROR(CheckCount(options.customers, "customers"));
  TP_RETURN_IF_ERROR(CheckCount(options.cases, "cases"));
  TP_RETURN_IF_ERROR(CheckCount(options.feedback, "feedback"));
  if (options.customers == 0 && (options.cases > 0 || options.feedback > 0)) {
    return InvalidArgument("cases and feedback need at least one customer", "customers");
  }

  Random random(options.seed);
  const Micros now = NowMicros();
  const std::vector<CustomerPlan> customer_plans = PlanCustomers(random, options.customers, now);
  const std::vector<CasePlan> case_plans = PlanCases(random, options.cases, customer_plans, now);
  const std::vector<FeedbackPlan> feedback_plans = PlanFeedback(random, options.feedback, customer_plans, now);

  DemoSummary summary{.tenant_slug = options.tenant_slug};
  for (const UserSpec& spec : kUsers) {
    summary.users.push_back(DemoUser{.email = std::string(spec.mailbox) + std::string(kUserDomain),
                                     .name = std::string(spec.name),
                                     .role = spec.role,
                                     .password = RandomToken(kPasswordBytes)});
  }
  const identity::AuditContext audit = identity::AuditContext::System("demo-data");
  std::map<Department, std::string> team_ids;
  std::string agent_id;
  TP_RETURN_IF_ERROR(store.WriteSystem([&](store::SystemTx& system_tx) -> Status {
    TP_ASSIGN_OR_RETURN(const identity::Tenant tenant,
                        identity::CreateTenant(system_tx, options.tenant_slug, options.tenant_name));
    summary.tenant_id = tenant.id;
    store::TenantTx tx = system_tx.InTenant(tenant.id);
    for (const DemoUser& user : summary.users) {
      TP_ASSIGN_OR_RETURN(
          const identity::User created,
          identity::CreateUser(tx, audit,
                               {.email = user.email, .name = user.name, .role = user.role, .password = user.password},
                               options.password_limits));
      if (user.role == identity::Role::kAgent) agent_id = created.id;
    }
    for (const TeamSpec& spec : kTeams) {
      TP_ASSIGN_OR_RETURN(const identity::Team team,
                          identity::CreateTeam(tx, audit,
                                               {.name = std::string(spec.name),
                                                .kind = std::string(spec.kind),
                                                .description = std::string(spec.description)}));
      team_ids[spec.department] = team.id;
    }
    TP_RETURN_IF_ERROR(identity::AddTeamMember(tx, audit, team_ids[Department::kService], agent_id));
    TP_RETURN_IF_ERROR(CreateStarterRules(tx, audit, team_ids[Department::kService], team_ids[Department::kIt], now));
    TP_ASSIGN_OR_RETURN(const DemoSurveys surveys, CreateStarterSurveys(tx, audit));
    summary.survey_path = "/s/" + surveys.public_token;
    return CreateSurveyRules(tx, audit, surveys, now);
  }));

  std::vector<std::string> customer_ids(customer_plans.size());
  TP_RETURN_IF_ERROR(WriteInBatches(store, summary.tenant_id, customer_plans.size(),
                                    [&](store::TenantTx& tx, size_t plan_idx) -> Status {
                                      TP_ASSIGN_OR_RETURN(const profiles::Customer customer,
                                                          profiles::CreateCustomer(tx, customer_plans[plan_idx].input,
                                                                                   audit));
                                      customer_ids[plan_idx] = customer.id;
                                      return Status::Ok();
                                    }));
  std::vector<std::vector<events::Message>> event_plans(customer_plans.size());
  TP_RETURN_IF_ERROR(store.Read(summary.tenant_id, [&](store::TenantTx& tx) -> Status {
    for (size_t plan_idx = 0; plan_idx < customer_plans.size(); ++plan_idx) {
      TP_ASSIGN_OR_RETURN(const profiles::Customer customer, profiles::GetCustomer(tx, customer_ids[plan_idx]));
      TP_ASSIGN_OR_RETURN(event_plans[plan_idx],
                          PlanEvents(random, customer, "demo-" + std::to_string(plan_idx + 1), now));
    }
    return Status::Ok();
  }));
  TP_RETURN_IF_ERROR(WriteInBatches(store, summary.tenant_id, event_plans.size(),
                                    [&](store::TenantTx& tx, size_t plan_idx) -> Status {
                                      TP_ASSIGN_OR_RETURN(const ingest::IngestSummary ingested,
                                                          ingest::IngestMessages(tx, event_plans[plan_idx], audit));
                                      summary.events += ingested.stored;
                                      return Status::Ok();
                                    }));
  TP_RETURN_IF_ERROR(WriteInBatches(store, summary.tenant_id, case_plans.size(),
                                    [&](store::TenantTx& tx, size_t plan_idx) -> Status {
                                      const CasePlan& plan = case_plans[plan_idx];
                                      cases::NewCase input = plan.input;
                                      input.customer_id = customer_ids[plan.customer];
                                      input.team_id = team_ids[plan.department];
                                      if (plan.assigned && plan.department == Department::kService) {
                                        input.assignee_id = agent_id;
                                      }
                                      return cases::CreateCase(tx, input, audit).status();
                                    }));
  TP_RETURN_IF_ERROR(WriteInBatches(store, summary.tenant_id, feedback_plans.size(),
                                    [&](store::TenantTx& tx, size_t plan_idx) -> Status {
                                      const FeedbackPlan& plan = feedback_plans[plan_idx];
                                      feedback::NewFeedback input = plan.input;
                                      if (plan.customer) input.customer_id = customer_ids[*plan.customer];
                                      return feedback::SubmitFeedback(tx, input, identity::AuditContext::System()).status();
                                    }));
  summary.customers = options.customers;
  summary.cases = options.cases;
  summary.feedback = options.feedback;
  return summary;
}

Result<bool> TenantHasData(store::Store& store, std::string_view slug) {
  bool has_data = false;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& system_tx) -> Status {
    Result<identity::Tenant> tenant = identity::FindTenantBySlug(system_tx, slug);
    if (tenant.status().code() == ErrorCode::kNotFound) {
      has_data = false;
      return Status::Ok();
    }
    if (!tenant.ok()) return tenant.status();
    store::TenantTx tx = system_tx.InTenant(tenant->id);
    TP_ASSIGN_OR_RETURN(const store::Rows rows, tx.Query(kAnyCxData));
    has_data = !rows.empty();
    return Status::Ok();
  }));
  return has_data;
}

}  // namespace tp::demo
