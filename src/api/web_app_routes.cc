// The web application (web/app, built by `make web` into web/dist/app): a single-page app served at
// /app. A path naming a built file gets that file; any other /app path without a file extension gets
// index.html, and the app's own router shows the screen. Vite names every asset by its content hash,
// so assets are cached for a year, and index.html, which names them, is revalidated every time.
//
// The router matches segments, not prefixes, so the app's URLs are at most three segments below /app
// (/app/cases/{id}, /app/assets/{file}); nothing in a path reaches the file system (static_files.h).
#include "api/routes.h"
#include "api/static_files.h"

namespace tp::api {
namespace {

// Scripts and styles only from this origin and never inline (Vite emits none), no eval, no plugins,
// no framing; the app talks to this origin only. Message HTML is the server's sanitised rendering,
// and the policy is the second wall should that ever let something through.
constexpr std::string_view kAppSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

constexpr std::string_view kAppDirectory = "dist/app";
constexpr std::string_view kPrefix = "/app/";

http::Response WithAppHeaders(http::Response response) {
  response.headers["Content-Security-Policy"] = std::string(kAppSecurityPolicy);
  response.headers["X-Frame-Options"] = "DENY";  // frame-ancestors for browsers that predate it
  response.headers["Referrer-Policy"] = "same-origin";
  return response;
}

// A segment that could climb out of the app ("..", "."), or that means something else to a file system
// or a proxy in front (a backslash, a NUL, a '%' left after the server's one decoding), is refused
// outright rather than answered with index.html.
bool IsCleanRelativePath(std::string_view path) {
  if (path.empty()) return true;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (segment.find_first_of(std::string_view("\\%\0", 3)) != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

bool HasFileExtension(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

Result<http::Response> ServeApp(Registrar& registrar, http::Request& request) {
  const std::string_view path = request.path;
  const std::string_view relative = path.starts_with(kPrefix) ? path.substr(kPrefix.size()) : std::string_view();
  if (!IsCleanRelativePath(relative)) return NotFound("no such file");
  TP_ASSIGN_OR_RETURN(const auto* files,
                      ReadWebTree(registrar.options().web_root, kAppDirectory,
                                  "the web application is not built: run `make web` or point --web-root at web/"));
  if (relative != "index.html") {
    if (auto file = files->find(relative); file != files->end()) {
      // Only Vite's assets/ have content hashes in their names; anything else is revalidated.
      const bool hashed = relative.starts_with("assets/");
      return WithAppHeaders(StaticFileResponse(file->second, relative, hashed ? kImmutableCache : "no-cache"));
    }
    if (HasFileExtension(relative)) return NotFound("no such file");
  }
  const auto index = files->find("index.html");
  return WithAppHeaders(StaticFileResponse(index->second, "index.html", "no-cache"));
}

Result<http::Response> RedirectToApp(Registrar&, http::Request&) {
  http::Response response = http::Response::Text(302, "");
  response.headers["Location"] = "/app";
  return response;
}

}  // namespace

void RegisterWebAppRoutes(Registrar& registrar) {
  registrar.Public("GET", "/", RedirectToApp);
  registrar.Public("GET", "/app", ServeApp);
  registrar.Public("GET", "/app/{path1}", ServeApp);
  registrar.Public("GET", "/app/{path1}/{path2}", ServeApp);
  registrar.Public("GET", "/app/{path1}/{path2}/{path3}", ServeApp);
}

}  // namespace tp::api
