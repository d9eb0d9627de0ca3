// Who may see which customer data, shared by every endpoint that returns customers or their history:
// agents see only customers with a case in one of their teams (identity::ScopedToOwnTeams); callers
// without contact_data:read get customer data with its contact data removed, through CustomerDataView.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_body.h"
#include "api/registrar.h"
#include "cases/cases.h"
#include "events/events.h"
#include "feedback/feedback.h"
#include "feedback/reviews.h"
#include "profiles/contact_data.h"
#include "profiles/customers.h"
#include "profiles/identifiers.h"
#include "surveys/surveys.h"
#include "timeline/timeline.h"

namespace tp::api {

bool SeesContactData(const Call& call);
// The caller's teams when they see only their teams' customers; std::nullopt for everyone else.
std::optional<std::vector<std::string>> TeamScope(const Call& call);
// kNotFound (as for a customer that does not exist) when an agent's teams have no case of the customer.
Status CheckCustomerVisible(store::TenantTx& tx, const Call& call, std::string_view customer_id);
// kNotFound (as for a case that does not exist) when the case is not one of an agent's teams'.
Status CheckCaseVisible(const Call& call, const cases::Case& item);
// The fields of a new customer, as POST /customers and a first contact in POST /cases take them.
Result<profiles::NewCustomer> ReadNewCustomer(FieldReader& fields);

// What of customer data the caller may see, made once per request inside its transaction (the tenant's
// contact-data keys are read then). Every renderer of customer data takes one, so none can leave the
// classification out.
class CustomerDataView {
 public:
  static Result<CustomerDataView> For(store::TenantTx& tx, const Call& call);

  bool contact_data() const { return !hidden_; }
  // A search as this caller may run it: without contact data it matches none.
  void Restrict(profiles::CustomerQuery& query) const;
  // Removes what the caller may not see from any rendered document; true when something was.
  bool Redact(Json& document) const;

  Json Customer(const profiles::Customer& customer) const;
  // Identifiers that are contact data (e-mail, phone, channel handles, or a user id that is an e-mail
  // address) are left out for callers without contact data.
  Json Identifiers(const std::vector<profiles::IdentifierLink>& links) const;
  Json Event(const events::Event& event) const;
  Json TimelineEntry(const timeline::TimelineEntry& entry) const;
  Json Feedback(const feedback::FeedbackResponse& response) const;
  // Answers are free text the customer typed: contact data in them is hidden like everywhere else.
  Json SurveyResponse(const surveys::SurveyResponse& response) const;
  // A review's author is a person's name: null for callers without contact data, like an e-mail.
  Json Review(const feedback::Review& review) const;

 private:
  explicit CustomerDataView(std::optional<profiles::ContactDataClassifier> hidden) : hidden_(std::move(hidden)) {}

  std::optional<profiles::ContactDataClassifier> hidden_;  // set when contact data is withheld
};

}  // namespace tp::api
