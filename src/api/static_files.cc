#include "api/static_files.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace tp::api {
namespace {

struct MediaType {
  std::string_view extension;
  std::string_view type;
};
constexpr MediaType kMediaTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".map", "application/json; charset=utf-8"},
};

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::mutex& CacheMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::string_view MediaTypeFor(std::string_view file_name) {
  for (const MediaType& media_type : kMediaTypes) {
    if (file_name.ends_with(media_type.extension)) return media_type.type;
  }
  return "application/octet-stream";
}

Result<std::string> ReadWebFile(const std::string& web_root, std::string_view relative_path) {
  static std::map<std::string, std::string, std::less<>> cache;
  const std::string path = web_root + "/" + std::string(relative_path);
  std::lock_guard lock(CacheMutex());
  if (auto found = cache.find(path); found != cache.end()) return found->second;
  std::optional<std::string> text = ReadFile(path);
  if (!text) {
    return Unavailable("the web files are not installed: run `make web` (npm ci in web/) or point --web-root at them");
  }
  return cache.emplace(path, std::move(*text)).first->second;
}

Result<const std::map<std::string, std::string, std::less<>>*> ReadWebTree(const std::string& web_root,
                                                                           std::string_view directory,
                                                                           std::string_view missing_hint) {
  using Tree = std::map<std::string, std::string, std::less<>>;
  // Trees are never dropped, so the pointer handed out stays valid for the life of the process.
  static std::map<std::string, std::unique_ptr<Tree>, std::less<>> cache;
  const std::filesystem::path root = std::filesystem::path(web_root) / directory;
  std::lock_guard lock(CacheMutex());
  if (auto found = cache.find(root.string()); found != cache.end()) return found->second.get();
  std::error_code error;
  if (!std::filesystem::is_regular_file(root / "index.html", error)) return Unavailable(std::string(missing_hint));
  auto tree = std::make_unique<Tree>();
  for (auto entry = std::filesystem::recursive_directory_iterator(root, error);
       !error && entry != std::filesystem::recursive_directory_iterator(); entry.increment(error)) {
    if (!entry->is_regular_file(error)) continue;
    std::optional<std::string> text = ReadFile(entry->path());
    if (!text) return Unavailable("cannot read " + entry->path().string());
    tree->emplace(entry->path().lexically_relative(root).generic_string(), std::move(*text));
  }
  if (error) return Unavailable("cannot list " + root.string() + ": " + error.message());
  return cache.emplace(root.string(), std::move(tree)).first->second.get();
}

http::Response StaticFileResponse(std::string body, std::string_view file_name, std::string_view cache_control) {
  http::Response response = http::Response::Text(200, std::move(body), std::string(MediaTypeFor(file_name)));
  response.headers["Cache-Control"] = std::string(cache_control);
  response.headers["X-Content-Type-Options"] = "nosniff";
  return response;
}

}  // namespace tp::api
