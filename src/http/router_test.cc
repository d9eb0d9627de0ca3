// Socket-free tests: the router, request helpers, the error mapping and the metrics text.
#include "http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/errors.h"
#include "http/metrics.h"
#include "http/request.h"

namespace tp::http {
namespace {

Request MakeRequest(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

// A handler that answers with the name it was registered under, so tests see which route won.
Handler Named(std::string name) {
  return [name](Request&) { return Response::Text(200, name); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/", Named("root"));
    router_.Add("GET", "/users", Named("list"));
    router_.Add("POST", "/users", Named("create"));
    router_.Add("GET", "/users/me", Named("me"));
    router_.Add("GET", "/users/{id}", Named("get"));
    router_.Add("DELETE", "/users/{id}", Named("delete"));
    router_.Add("GET", "/users/{id}/sessions/{session_id}", Named("session"));
    router_.Add("GET", "/a/{x}/c", Named("param-first"));
    router_.Add("GET", "/a/b/{y}", Named("literal-first"));
  }

  Response Dispatch(std::string method, std::string path) {
    request_ = MakeRequest(std::move(method), std::move(path));
    return router_.Dispatch(request_);
  }

  Router router_;
  Request request_;
};

TEST_F(RouterTest, MatchesLiteralRoutesByMethod) {
  EXPECT_EQ(Dispatch("GET", "/users").body, "list");
  EXPECT_EQ(request_.route, "/users");
  EXPECT_EQ(Dispatch("POST", "/users").body, "create");
  EXPECT_EQ(Dispatch("GET", "/").body, "root");
  EXPECT_EQ(request_.route, "/");
}

TEST_F(RouterTest, FillsPathParams) {
  EXPECT_EQ(Dispatch("GET", "/users/usr_1/sessions/ses_2").body, "session");
  EXPECT_EQ(request_.route, "/users/{id}/sessions/{session_id}");
  EXPECT_EQ(request_.PathParam("id"), "usr_1");
  EXPECT_EQ(request_.PathParam("session_id"), "ses_2");
  EXPECT_EQ(request_.PathParam("missing"), "");
}

TEST_F(RouterTest, LiteralBeatsParam) {
  EXPECT_EQ(Dispatch("GET", "/users/me").body, "me");
  EXPECT_TRUE(request_.path_params.empty());
  EXPECT_EQ(Dispatch("GET", "/users/mex").body, "get");
  EXPECT_EQ(request_.PathParam("id"), "mex");
  // The leftmost literal decides.
  EXPECT_EQ(Dispatch("GET", "/a/b/c").body, "literal-first");
}

TEST_F(RouterTest, FallsBackToParamWhenLiteralLacksTheMethod) {
  EXPECT_EQ(Dispatch("DELETE", "/users/me").body, "delete");
  EXPECT_EQ(request_.PathParam("id"), "me");
}

TEST_F(RouterTest, BacktracksWhenLiteralBranchDeadEnds) {
  EXPECT_EQ(Dispatch("GET", "/a/b/x").body, "literal-first");
  EXPECT_EQ(Dispatch("GET", "/a/z/c").body, "param-first");
  EXPECT_EQ(request_.PathParam("x"), "z");
}

TEST_F(RouterTest, IsStrictAboutSlashesAndEmptySegments) {
  EXPECT_EQ(Dispatch("GET", "/users/").status, 404);
  EXPECT_EQ(Dispatch("GET", "//users").status, 404);
  EXPECT_EQ(Dispatch("GET", "/users//sessions/x").status, 404);
  EXPECT_EQ(Dispatch("GET", "").status, 404);
}

TEST_F(RouterTest, UnknownPathIsJson404) {
  const Response response = Dispatch("GET", "/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.at("Content-Type"), "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_TRUE(request_.route.empty());
}

TEST_F(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  const Response response = Dispatch("PATCH", "/users/usr_1");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "method_not_allowed");
  // Allow is the union over every pattern matching the path.
  EXPECT_EQ(Dispatch("PUT", "/users/me").headers.at("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(Dispatch("DELETE", "/users").headers.at("Allow"), "GET, HEAD, POST");
}

TEST_F(RouterTest, HeadUsesTheGetHandler) {
  EXPECT_EQ(Dispatch("HEAD", "/users").body, "list");
  router_.Add("HEAD", "/users", Named("head"));
  EXPECT_EQ(Dispatch("HEAD", "/users").body, "head");
}

TEST_F(RouterTest, ClearsStaleRouteData) {
  request_ = MakeRequest("GET", "/nope");
  request_.route = "/stale";
  request_.path_params["id"] = "stale";
  router_.Dispatch(request_);
  EXPECT_TRUE(request_.route.empty());
  EXPECT_TRUE(request_.path_params.empty());
}

TEST(Router, RejectsMalformedPatternsAndDuplicates) {
  Router router;
  router.Add("GET", "/users/{id}", Named("x"));
  EXPECT_THROW(router.Add("GET", "/users/{user}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "users", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a//b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/x{b}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{b-c}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{b}/{b}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("", "/a", Named("x")), std::invalid_argument);
  EXPECT_EQ(router.routes().size(), 1u);
}

TEST(Request, HeaderLookupIgnoresCase) {
  Request request;
  request.headers["Content-Type"] = "application/json";
  EXPECT_EQ(request.Header("content-type"), "application/json");
  EXPECT_EQ(request.Header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(request.Header("Accept"), std::nullopt);
  EXPECT_TRUE(EqualsIgnoreCase("X-Request-Id", "x-request-ID"));
  EXPECT_FALSE(EqualsIgnoreCase("X-Request-Id", "X-Request-I"));
}

TEST(Request, QueryParamReturnsTheFirstValue) {
  Request request;
  request.query = {{"tag", "a"}, {"tag", "b"}, {"q", ""}};
  EXPECT_EQ(request.QueryParam("tag"), "a");
  EXPECT_EQ(request.QueryParam("q"), "");
  EXPECT_EQ(request.QueryParam("missing"), std::nullopt);
}

TEST(Request, CookieParsesPairsTrimsAndUnquotes) {
  Request request;
  request.headers["cookie"] = R"(tp_session=abc123; theme="dark" ;  flag; empty=; a=b=c;tp_session=second)";
  EXPECT_EQ(request.Cookie("tp_session"), "abc123");
  EXPECT_EQ(request.Cookie("theme"), "dark");
  EXPECT_EQ(request.Cookie("empty"), "");
  EXPECT_EQ(request.Cookie("a"), "b=c");
  EXPECT_EQ(request.Cookie("flag"), std::nullopt);
  EXPECT_EQ(request.Cookie("TP_SESSION"), std::nullopt);
  EXPECT_EQ(Request{}.Cookie("tp_session"), std::nullopt);
}

TEST(Request, PercentDecodeHandlesEscapesAndRejectsBadInput) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false).value(), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("%e2%82%AC", false).value(), "\xe2\x82\xac");
  EXPECT_EQ(PercentDecode("%00", false).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(PercentDecode("%zz", false).ok());
  EXPECT_FALSE(PercentDecode("%4", false).ok());
  EXPECT_FALSE(PercentDecode("abc%", false).ok());
}

TEST(Request, ParseQuerySplitsAndDecodes) {
  const auto query = ParseQuery("q=a+b%21&tag=x&tag=y&&flag&=v");
  ASSERT_TRUE(query.ok());
  const std::multimap<std::string, std::string> expected = {
      {"q", "a b!"}, {"tag", "x"}, {"tag", "y"}, {"flag", ""}, {"", "v"}};
  EXPECT_EQ(*query, expected);
  EXPECT_FALSE(ParseQuery("a=%0").ok());
}

TEST(Response, FactoriesSetStatusAndContentType) {
  const Response json = Response::Json(201, R"({"id":1})");
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.headers.at("content-type"), "application/json");
  const Response text = Response::Text(200, "hi");
  EXPECT_EQ(text.headers.at("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(Response::Text(200, "<p>", "text/html").headers.at("Content-Type"), "text/html");
  const Response none = Response::NoContent();
  EXPECT_EQ(none.status, 204);
  EXPECT_TRUE(none.body.empty());
}

TEST(Errors, EveryCodeMapsToItsStatusAndJsonShape) {
  const std::vector<std::pair<ErrorCode, int>> cases = {
      {ErrorCode::kInvalidArgument, 400},    {ErrorCode::kMalformedJson, 400},   {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403},   {ErrorCode::kNotFound, 404},        {ErrorCode::kMethodNotAllowed, 405},
      {ErrorCode::kConflict, 409},           {ErrorCode::kPayloadTooLarge, 413}, {ErrorCode::kUnsupportedMedia, 415},
      {ErrorCode::kFailedPrecondition, 422}, {ErrorCode::kRateLimited, 429},     {ErrorCode::kUnavailable, 503},
      {ErrorCode::kInternal, 500},
  };
  for (const auto& [code, http_status] : cases) {
    SCOPED_TRACE(std::string(ErrorCodeName(code)));
    EXPECT_EQ(HttpStatusFor(code), http_status);
    const Response response = ErrorResponse(Status(code, "the message"));
    EXPECT_EQ(response.status, http_status);
    EXPECT_EQ(response.headers.at("Content-Type"), "application/json");
    const auto body = nlohmann::json::parse(response.body);
    ASSERT_EQ(body.size(), 1u);
    ASSERT_EQ(body["error"].size(), 3u);
    EXPECT_EQ(body["error"]["code"], ErrorCodeName(code));
    EXPECT_TRUE(body["error"]["field"].is_null());
    if (code != ErrorCode::kInternal) {
      EXPECT_EQ(body["error"]["message"], "the message");
    }
  }
}

TEST(Errors, FieldIsIncludedWhenSet) {
  const auto body = nlohmann::json::parse(ErrorResponse(InvalidArgument("must be an email", "email")).body);
  EXPECT_EQ(body["error"]["field"], "email");
  EXPECT_EQ(body["error"]["message"], "must be an email");
}

TEST(Errors, InternalMessageIsNeverShown) {
  const Response response = ErrorResponse(Internal("SELECT * FROM users failed at /var/lib/db"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["message"], "internal error");
}

TEST(Errors, OkStatusBecomesInternalError) {
  const Response response = ErrorResponse(Status::Ok());
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "internal");
}

TEST(Errors, RetryAfterOnRateLimitedAndUnavailable) {
  EXPECT_EQ(ErrorResponse(Status(ErrorCode::kRateLimited, "slow down").WithRetryAfter(7)).headers.at("Retry-After"),
            "7");
  EXPECT_EQ(ErrorResponse(Unavailable("store down").WithRetryAfter(30)).headers.at("Retry-After"), "30");
  EXPECT_FALSE(ErrorResponse(Status(ErrorCode::kRateLimited, "slow down")).headers.contains("Retry-After"));
  EXPECT_FALSE(ErrorResponse(Conflict("x").WithRetryAfter(5)).headers.contains("Retry-After"));
}

TEST(Errors, EveryUnavailableAnswerHasRetryAfter) {
  EXPECT_EQ(ErrorResponse(Unavailable("store down")).headers.at("Retry-After"), "5");
}

TEST(Errors, UnauthenticatedAsksForBearer) {
  const Response response = ErrorResponse(Unauthenticated("no session"));
  EXPECT_EQ(response.headers.at("WWW-Authenticate"), R"(Bearer realm="touchpoint")");
  EXPECT_FALSE(ErrorResponse(PermissionDenied("no")).headers.contains("WWW-Authenticate"));
}

TEST(Errors, InvalidUtf8InMessageDoesNotThrow) {
  const Response response = ErrorResponse(NotFound("no route for /\xff\xfe"));
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(Metrics, RendersCountersAndCumulativeHistogram) {
  Metrics metrics;
  metrics.ObserveRequest("/users/{id}", "GET", 200, 0.002);
  metrics.ObserveRequest("/users/{id}", "GET", 200, 0.3);
  metrics.ObserveRequest("/users/{id}", "DELETE", 404, 5);
  metrics.CountStoreError();
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("# TYPE touchpoint_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE touchpoint_http_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE touchpoint_store_errors_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("touchpoint_http_requests_total{route=\"/users/{id}\",method=\"GET\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("touchpoint_http_requests_total{route=\"/users/{id}\",method=\"DELETE\",status=\"404\"} 1\n"),
            std::string::npos);
  const std::string bucket = "touchpoint_http_request_duration_seconds_bucket{route=\"/users/{id}\",le=";
  EXPECT_NE(text.find(bucket + "\"0.001\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find(bucket + "\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(bucket + "\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(bucket + "\"2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(bucket + "\"+Inf\"} 3\n"), std::string::npos);
  // The sum is a double; only its leading digits are exact.
  EXPECT_NE(text.find("touchpoint_http_request_duration_seconds_sum{route=\"/users/{id}\"} 5.30"), std::string::npos);
  EXPECT_NE(text.find("touchpoint_http_request_duration_seconds_count{route=\"/users/{id}\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("touchpoint_store_errors_total 1\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelsAndBoundsMethods) {
  Metrics metrics;
  metrics.ObserveRequest("a\"b\\c\nd", "BREW", 418, 0.001);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find(R"(route="a\"b\\c\nd",method="OTHER",status="418")"), std::string::npos);
}

}  // namespace
}  // namespace tp::http
