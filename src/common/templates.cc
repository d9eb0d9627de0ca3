#include "common/templates.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

namespace tp {
namespace {

// Calls `literal` for the text between placeholders and `placeholder` for each trimmed path.
void ScanTemplate(std::string_view text, const std::function<void(std::string_view)>& literal,
                  const std::function<void(std::string_view)>& placeholder) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    literal(text.substr(pos, open - pos));
    std::string_view path = text.substr(open + 2, close - open - 2);
    while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
    while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
    placeholder(path);
    pos = close + 2;
  }
  literal(text.substr(pos));
}

}  // namespace

std::string RenderTemplate(std::string_view text, const nlohmann::json& context) {
  std::string out;
  ScanTemplate(
      text, [&](std::string_view literal) { out.append(literal); },
      [&](std::string_view path) {
        const nlohmann::json* value = &context;
        std::size_t start = 0;
        while (value != nullptr && start <= path.size()) {
          const std::size_t dot = std::min(path.find('.', start), path.size());
          const std::string segment(path.substr(start, dot - start));
          const auto found = value->is_object() ? value->find(segment) : value->end();
          value = (value->is_object() && found != value->end()) ? &*found : nullptr;
          start = dot + 1;
        }
        if (value != nullptr && !value->is_null()) out += value->is_string() ? value->get<std::string>() : value->dump();
      });
  return out;
}

std::vector<std::string> TemplatePlaceholders(std::string_view text) {
  std::vector<std::string> paths;
  ScanTemplate(text, [](std::string_view) {}, [&](std::string_view path) { paths.emplace_back(path); });
  return paths;
}

}  // namespace tp
