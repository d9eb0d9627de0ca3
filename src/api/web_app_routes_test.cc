// The web application's files at /app: cache headers, the Content-Security-Policy, index.html for the
// app's own screens, and nothing outside the built app however the path is spelled. The routes read
// no store, so one backend is enough.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/api_test_support.h"
#include "common/ids.h"

namespace tp::api::testing {
namespace {

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class WebAppRoutesTest : public ::testing::Test {
 protected:
  // A web root of its own per test: built files are cached per root for the life of the process.
  WebAppRoutesTest()
      : root_(std::filesystem::temp_directory_path() / ("tp-web-" + NewId("t"))), harness_("sqlite", Options(root_)) {}
  ~WebAppRoutesTest() override { std::filesystem::remove_all(root_); }

  static ApiOptions Options(const std::filesystem::path& root) {
    WriteFile(root / "dist/app/index.html", "<!doctype html><title>touchpoint</title>");
    WriteFile(root / "dist/app/assets/index-3f2a9c.js", "console.log('app')");
    WriteFile(root / "dist/app/assets/index-77aa01.css", "body{}");
    WriteFile(root / "dist/app/robots.txt", "User-agent: *");
    WriteFile(root / "dist/secret.txt", "outside the app");
    WriteFile(root / "package.json", "{\"private\": true}");
    ApiOptions options = ApiHarness::DefaultOptions();
    options.web_root = root.string();
    return options;
  }

  std::filesystem::path root_;
  ApiHarness harness_;
};

void ExpectAppHeaders(const http::Response& response) {
  const std::string csp = response.headers.at("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(response.headers.at("X-Content-Type-Options"), "nosniff");
}

TEST_F(WebAppRoutesTest, ServesIndexWithoutCachingAndHashedAssetsForAYear) {
  const http::Response index = harness_.Send("GET", "/app");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.body, "<!doctype html><title>touchpoint</title>");
  EXPECT_EQ(index.headers.at("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.at("Cache-Control"), "no-cache");
  ExpectAppHeaders(index);
  EXPECT_EQ(harness_.Send("GET", "/app/index.html").headers.at("Cache-Control"), "no-cache");

  const http::Response script = harness_.Send("GET", "/app/assets/index-3f2a9c.js");
  ASSERT_EQ(script.status, 200) << script.body;
  EXPECT_EQ(script.body, "console.log('app')");
  EXPECT_EQ(script.headers.at("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers.at("Cache-Control"), "public, max-age=31536000, immutable");
  ExpectAppHeaders(script);
  EXPECT_EQ(harness_.Send("GET", "/app/assets/index-77aa01.css").headers.at("Content-Type"), "text/css; charset=utf-8");
  // A file without a content hash in its name is revalidated like index.html.
  const http::Response robots = harness_.Send("GET", "/app/robots.txt");
  EXPECT_EQ(robots.body, "User-agent: *");
  EXPECT_EQ(robots.headers.at("Cache-Control"), "no-cache");
}

TEST_F(WebAppRoutesTest, AnswersIndexForTheAppsScreensAndNotFoundForMissingFiles) {
  for (const std::string path : {"/app/inbox", "/app/cases/cas_123", "/app/signin", "/app/cases/cas_1/history"}) {
    const http::Response response = harness_.Send("GET", path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, "<!doctype html><title>touchpoint</title>") << path;
    EXPECT_EQ(response.headers.at("Cache-Control"), "no-cache") << path;
  }
  ExpectError(harness_.Send("GET", "/app/assets/index-000000.js"), 404, "not_found");
  ExpectError(harness_.Send("GET", "/app/favicon.ico"), 404, "not_found");
  const http::Response root = harness_.Send("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers.at("Location"), "/app");
}

// The server percent-decodes the path once before routing; the harness passes it as given, so both the
// decoded spellings and what is left of a double encoding are tried here (tests/e2e sends them raw).
TEST_F(WebAppRoutesTest, RefusesPathsThatLeaveTheApp) {
  for (const std::string& path : std::vector<std::string>{
           "/app/../../etc/passwd", "/app/../secret.txt", "/app/assets/../../secret.txt", "/app/../package.json",
           "/app/./index.html", "/app/..", "/app/%2e%2e/secret.txt", "/app/..%2f..%2fetc%2fpasswd",
           "/app/%252e%252e/secret.txt", "/app/..\\..\\secret.txt", "/app/assets/..\\secret.txt",
           std::string("/app/x\0y", 8), "/app//etc/passwd", "/app/assets//etc/passwd"}) {
    const http::Response response = harness_.Send("GET", path);
    EXPECT_EQ(response.status, 404) << path << ": " << response.body;
    EXPECT_EQ(response.body.find("outside the app"), std::string::npos) << path;
    EXPECT_EQ(response.body.find("private"), std::string::npos) << path;
  }
}

TEST(WebAppRoutes, SaysHowToBuildTheAppWhenItIsMissing) {
  ApiOptions options = ApiHarness::DefaultOptions();
  options.web_root = (std::filesystem::temp_directory_path() / ("tp-web-missing-" + NewId("t"))).string();
  ApiHarness harness("sqlite", options);
  const http::Response response = harness.Send("GET", "/app/inbox");
  ExpectError(response, 503, "unavailable");
  EXPECT_NE(response.body.find("make web"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace tp::api::testing
