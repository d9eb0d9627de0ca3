// Text templates with "{{path}}" placeholders, filled from a JSON document: rule actions' e-mails
// ("NPS {{score}} from {{customer.name}}") and help-desk macros ("Dear {{customer.first_name}}").
//
//   RenderTemplate("Case {{ case.id }}", {{"case", {{"id", "cas_1"}}}}) == "Case cas_1"
//   TemplatePlaceholders("Hi {{customer.name}}, {{case.id}}") == {"customer.name", "case.id"}
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tp {

// `text` with each "{{path}}" (spaces around the path ignored) replaced by the value at that dotted
// path in `context`: strings as they are, other values as JSON, missing paths and null as nothing. An
// unclosed "{{" is kept as written.
std::string RenderTemplate(std::string_view text, const nlohmann::json& context);
// The paths of the placeholders in `text`, in order, as RenderTemplate reads them.
std::vector<std::string> TemplatePlaceholders(std::string_view text);

}  // namespace tp
