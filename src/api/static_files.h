// Files the binary serves from its web root (`serve --web-root`, web/ of a checkout): the survey page's
// scripts (SurveyJS from node_modules/, ours from public/) and the built web application (dist/app/).
//
// Nothing is built from a request path: a caller names a file the server already knows (the survey
// page's fixed table, or the listing of the built application read once), so `..`, encoded slashes or
// absolute paths can only miss. Files are read once and kept, since they change only with a new
// installation; a file that is missing is not remembered, so building while the server runs is seen.
//
//   TP_ASSIGN_OR_RETURN(std::string text, ReadWebFile(web_root, "public/survey-page.js"));
//   http::Response response = StaticFileResponse(std::move(text), "survey-page.js", kShortCache);
//
// Thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/request.h"

namespace tp::api {

// The media type of a file by its extension, with charset=utf-8 for text ("app.js" → text/javascript;
// charset=utf-8); application/octet-stream for an unknown extension.
std::string_view MediaTypeFor(std::string_view file_name);

// The content of `relative_path` under `web_root`; kUnavailable when it is missing (not installed).
Result<std::string> ReadWebFile(const std::string& web_root, std::string_view relative_path);

// Every regular file under `web_root`/`directory`, by path relative to it ("assets/index-3f2a.js"),
// read once; kUnavailable naming `missing_hint` when the directory has no index.html.
Result<const std::map<std::string, std::string, std::less<>>*> ReadWebTree(const std::string& web_root,
                                                                           std::string_view directory,
                                                                           std::string_view missing_hint);

// 200 with the file's media type, Cache-Control `cache_control` and X-Content-Type-Options: nosniff.
http::Response StaticFileResponse(std::string body, std::string_view file_name, std::string_view cache_control);

inline constexpr std::string_view kImmutableCache = "public, max-age=31536000, immutable";

}  // namespace tp::api
