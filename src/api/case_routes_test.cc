// The case conversation over HTTP: messages of each kind, the timeline with the case's history,
// attachments uploaded as files and downloaded as attachments, and what agents of another team,
// another tenant and bad input get.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'p');

class CaseRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  CaseRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    const json customer = BodyOf(harness_.Send(
        "POST", "/api/v1/customers", R"({"name":"Jana Nová","email":"jana@example.cz"})", admin_));
    const json team = BodyOf(harness_.Send("POST", "/api/v1/teams", R"({"name":"Returns","kind":"service"})", admin_));
    team_ = team["id"];
    const json opened = BodyOf(harness_.Send(
        "POST", "/api/v1/cases",
        json{{"customer_id", customer["id"]}, {"subject", "Zásilka dorazila poškozená"}, {"channel", "email"},
             {"type", "return_request"}, {"touchpoint", "delivery"}, {"order_ids", {"ORD-7"}}, {"team_id", team_}}
            .dump(),
        admin_));
    case_path_ = "/api/v1/cases/" + opened["id"].get<std::string>();
    case_id_ = opened["id"];
  }

  json Post(const std::string& path, const json& body, int expected, const Credentials& as) {
    const http::Response response = harness_.Send("POST", path, body.dump(), as);
    EXPECT_EQ(response.status, expected) << path << " " << response.body;
    return BodyOf(response);
  }

  http::Response Upload(const std::string& query, const std::string& bytes, const std::string& type,
                        const Credentials& as) {
    return harness_.Send("POST", "/api/v1/attachments" + query, bytes, as, {{"Content-Type", type}});
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  std::string team_;
  std::string case_id_;
  std::string case_path_;
};

TEST_P(CaseRoutesTest, MessagesAndChangesMakeOneTimeline) {
  const json opened = BodyOf(harness_.Send("GET", case_path_, "", admin_));
  EXPECT_EQ(opened["type"], "return_request");
  EXPECT_EQ(opened["touchpoint"], "delivery");
  EXPECT_EQ(opened["order_ids"], json({"ORD-7"}));
  EXPECT_TRUE(opened["first_response_at"].is_null());

  const json inbound =
      Post(case_path_ + "/messages",
           {{"kind", "customer"}, {"format", "html"}, {"body", "<p>Krabice <i>rozbitá</i><script>x()</script></p>"}},
           201, admin_);
  EXPECT_EQ(inbound["direction"], "inbound");
  EXPECT_EQ(inbound["delivery_state"], "received");
  EXPECT_EQ(inbound["author"], json({{"type", "customer"}, {"id", opened["customer_id"]}}));
  EXPECT_EQ(inbound["html"], "<p>Krabice <i>rozbitá</i></p>");
  EXPECT_EQ(inbound["text"], "Krabice rozbitá");

  const json reply = Post(case_path_ + "/messages", {{"body", "Pošlete foto, prosím."}, {"status", "pending"}}, 201,
                          admin_);
  EXPECT_EQ(reply["kind"], "reply");
  EXPECT_EQ(reply["direction"], "outbound");
  EXPECT_EQ(reply["delivery_state"], "pending");  // the harness's server sends mail
  EXPECT_TRUE(reply["delivery_id"].is_string());
  const json note = Post(case_path_ + "/messages", {{"kind", "note"}, {"body", "Dopravce PPL"}}, 201, admin_);
  EXPECT_EQ(note["direction"], "internal");

  const json conversation = BodyOf(harness_.Send("GET", case_path_ + "/conversation", "", admin_));
  EXPECT_EQ(conversation["case"]["status"], "pending");
  EXPECT_TRUE(conversation["case"]["first_response_at"].is_string());
  std::vector<std::string> kinds;
  for (const json& entry : conversation["entries"]) {
    kinds.push_back(entry["type"] == "message" ? entry["message"]["kind"].get<std::string>()
                                               : entry["change"]["action"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"case.create", "customer", "reply", "case.update", "note"}));
  const json& status_change = conversation["entries"][3]["change"];
  EXPECT_EQ(status_change["before"], json({{"status", "new"}}));
  EXPECT_EQ(status_change["after"], json({{"status", "pending"}}));
  EXPECT_EQ(status_change["actor"]["type"], "user");
}

TEST_P(CaseRoutesTest, BadMessagesAreNamedAndClosedCasesTakeNone) {
  auto expect_error = [&](const json& body, int status, const std::string& code, const std::string& field) {
    const http::Response response = harness_.Send("POST", case_path_ + "/messages", body.dump(), admin_);
    ExpectError(response, status, code, field);
  };
  expect_error({{"kind", "system"}, {"body", "x"}}, 400, "invalid_argument", "kind");
  expect_error({{"body", ""}}, 400, "invalid_argument", "body");
  expect_error({{"body", "x"}, {"format", "markdown"}}, 400, "invalid_argument", "format");
  expect_error({{"body", "x"}, {"status", "reopened"}}, 400, "invalid_argument", "status");
  expect_error({{"body", "x"}, {"channel", "fax"}}, 400, "invalid_argument", "channel");
  expect_error({{"body", "x"}, {"attachment_ids", {"att_nope"}}}, 400, "invalid_argument", "attachment_ids");
  expect_error({{"body", "x"}, {"cc", "a@b.c"}}, 400, "invalid_argument", "cc");
  expect_error({{"kind", "customer"}, {"body", "x"}, {"status", "solved"}}, 400, "invalid_argument", "status");

  ASSERT_EQ(harness_.Send("PATCH", case_path_, R"({"status":"closed"})", admin_).status, 200);
  expect_error({{"kind", "customer"}, {"body", "Haló?"}}, 422, "failed_precondition", "case_id");
  // Nothing was half-written: the closed case has only its history.
  const json conversation = BodyOf(harness_.Send("GET", case_path_ + "/conversation", "", admin_));
  for (const json& entry : conversation["entries"]) EXPECT_EQ(entry["type"], "change");
}

TEST_P(CaseRoutesTest, AttachmentsAreUploadedSentAndDownloadedOnlyAsAttachments) {
  // (The test harness passes query values as written; the server percent-decodes them first.)
  const http::Response uploaded = Upload("?case_id=" + case_id_ + "&file_name=krabice č.png", kPng, "image/png",
                                         admin_);
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  const json attachment = BodyOf(uploaded);
  EXPECT_EQ(attachment["file_name"], "krabice č.png");
  EXPECT_EQ(attachment["size"], kPng.size());
  EXPECT_TRUE(attachment["message_id"].is_null());

  const json message = Post(case_path_ + "/messages",
                            {{"kind", "customer"}, {"body", "Foto"}, {"attachment_ids", {attachment["id"]}}}, 201,
                            admin_);
  ASSERT_EQ(message["attachments"].size(), 1u);
  const std::string url = message["attachments"][0]["url"];
  const http::Response download = harness_.Send("GET", url, "", admin_);
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(download.body, kPng);
  EXPECT_EQ(download.headers.at("Content-Type"), "image/png");
  EXPECT_EQ(download.headers.at("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(download.headers.at("Content-Disposition"),
            "attachment; filename=\"krabice _.png\"; filename*=UTF-8''krabice%20%C4%8D.png");

  ExpectError(Upload("?case_id=" + case_id_ + "&file_name=a.txt", "<script>", "text/html", admin_), 415,
              "unsupported_media_type", "content_type");
  ExpectError(Upload("?case_id=" + case_id_ + "&file_name=cat.png", "<svg onload=alert(1)>", "image/png", admin_), 400,
              "invalid_argument", "content");
  ExpectError(Upload("?case_id=" + case_id_ + "&file_name=setup.exe", "MZ", "application/zip", admin_), 400,
              "invalid_argument", "file_name");
  ExpectError(Upload("?file_name=a.png", kPng, "image/png", admin_), 400, "invalid_argument", "case_id");
  ExpectError(Upload("?case_id=" + case_id_ + "&file_name=big.pdf",
                     "%PDF-" + std::string(std::size_t{10} << 20, 'x'), "application/pdf", admin_),
              413, "payload_too_large", "content");
}

TEST_P(CaseRoutesTest, OtherTeamsAndOtherTenantsSeeNoCaseNorItsFiles) {
  const json attachment = BodyOf(Upload("?case_id=" + case_id_ + "&file_name=a.png", kPng, "image/png", admin_));
  const std::string content_url = "/api/v1/attachments/" + attachment["id"].get<std::string>() + "/content";

  const Credentials outsider = harness_.LoginAs(tenant_, Role::kAgent);  // in no team
  EXPECT_EQ(harness_.Send("GET", case_path_ + "/conversation", "", outsider).status, 404);
  EXPECT_EQ(harness_.Send("POST", case_path_ + "/messages", R"({"body":"hi"})", outsider).status, 404);
  EXPECT_EQ(harness_.Send("GET", content_url, "", outsider).status, 404);
  EXPECT_EQ(Upload("?case_id=" + case_id_ + "&file_name=b.png", kPng, "image/png", outsider).status, 404);

  const identity::User member = harness_.CreateUser(tenant_, Role::kAgent);
  harness_.Send("PUT", "/api/v1/teams/" + team_ + "/members/" + member.id, "", admin_);
  const Credentials agent = harness_.Login(tenant_, member.email);
  EXPECT_EQ(harness_.Send("GET", case_path_ + "/conversation", "", agent).status, 200);
  EXPECT_EQ(harness_.Send("GET", content_url, "", agent).status, 200);

  const TenantFixture other = harness_.CreateTenant("globex");
  const Credentials stranger = harness_.LoginAs(other, Role::kAdmin);
  EXPECT_EQ(harness_.Send("GET", case_path_ + "/conversation", "", stranger).status, 404);
  EXPECT_EQ(harness_.Send("GET", content_url, "", stranger).status, 404);
  EXPECT_EQ(Upload("?case_id=" + case_id_ + "&file_name=b.png", kPng, "image/png", stranger).status, 404);

  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  EXPECT_EQ(harness_.Send("GET", case_path_ + "/conversation", "", analyst).status, 403);
  EXPECT_EQ(harness_.Send("GET", content_url, "", analyst).status, 403);
}

TEST_P(CaseRoutesTest, ViewsAndSearchFindTheCasesAnAgentWorksOn) {
  const identity::User member = harness_.CreateUser(tenant_, Role::kAgent);
  harness_.Send("PUT", "/api/v1/teams/" + team_ + "/members/" + member.id, "", admin_);
  const Credentials agent = harness_.Login(tenant_, member.email);
  auto ids = [&](const std::string& query, const Credentials& as) {
    const http::Response response = harness_.Send("GET", "/api/v1/cases" + query, "", as);
    EXPECT_EQ(response.status, 200) << query << " " << response.body;
    std::vector<std::string> found;
    const json body = BodyOf(response);
    for (const json& item : body["items"]) found.push_back(item["id"].get<std::string>());
    return found;
  };
  EXPECT_EQ(ids("?view=unassigned", agent), std::vector<std::string>{case_id_});
  EXPECT_TRUE(ids("?view=mine", agent).empty());
  ASSERT_EQ(harness_.Send("PATCH", case_path_, json{{"assignee_id", member.id}}.dump(), admin_).status, 200);
  EXPECT_EQ(ids("?view=mine", agent), std::vector<std::string>{case_id_});
  EXPECT_EQ(ids("?assignee_id=" + member.id, admin_), std::vector<std::string>{case_id_});
  EXPECT_TRUE(ids("?view=unassigned", agent).empty());

  Post(case_path_ + "/messages", {{"kind", "customer"}, {"body", "Krabice je úplně rozmačkaná"}}, 201, agent);
  EXPECT_EQ(ids("?q=rozmackana", agent), std::vector<std::string>{case_id_});
  EXPECT_EQ(ids("?q=ZASILKA krab", admin_), std::vector<std::string>{case_id_});
  EXPECT_TRUE(ids("?q=rozmackana&status=solved", agent).empty());
  const Credentials outsider = harness_.LoginAs(tenant_, Role::kAgent);  // in no team
  EXPECT_TRUE(ids("?q=rozmackana", outsider).empty());

  ExpectError(harness_.Send("GET", "/api/v1/cases?view=everything", "", agent), 400, "invalid_argument", "view");
  ExpectError(harness_.Send("GET", "/api/v1/cases?q=;;", "", agent), 400, "invalid_argument", "q");
  ExpectError(harness_.Send("GET", "/api/v1/cases?q=a&view=mine", "", agent), 400, "invalid_argument", "view");
}

TEST_P(CaseRoutesTest, BulkUpdatesAndPresenceForTwoAgentsOnOneCase) {
  const json second = Post("/api/v1/cases", json{{"customer_id", BodyOf(harness_.Send("GET", case_path_, "", admin_))["customer_id"]},
                                                 {"subject", "Druhý"}, {"team_id", team_}},
                           201, admin_);
  const json bulk = BodyOf(harness_.Send(
      "PATCH", "/api/v1/cases", json{{"case_ids", {case_id_, second["id"]}}, {"priority", "urgent"}}.dump(), admin_));
  ASSERT_EQ(bulk["items"].size(), 2u);
  EXPECT_EQ(bulk["items"][1]["priority"], "urgent");
  ExpectError(harness_.Send("PATCH", "/api/v1/cases", json{{"case_ids", {case_id_, "cas_01JUNKJUNKJUNKJUNKJUNKJUNK"}},
                                                         {"priority", "low"}}.dump(), admin_),
              404, "not_found", "case_ids[1]");
  EXPECT_EQ(BodyOf(harness_.Send("GET", case_path_, "", admin_))["priority"], "urgent");  // none changed
  ExpectError(harness_.Send("PATCH", "/api/v1/cases", R"({"priority":"low"})", admin_), 400, "invalid_argument",
              "case_ids");

  const identity::User tereza = harness_.CreateUser(tenant_, Role::kAgent);
  const identity::User petr = harness_.CreateUser(tenant_, Role::kAgent);
  for (const auto* user : {&tereza, &petr}) {
    harness_.Send("PUT", "/api/v1/teams/" + team_ + "/members/" + user->id, "", admin_);
  }
  const Credentials as_tereza = harness_.Login(tenant_, tereza.email);
  const Credentials as_petr = harness_.Login(tenant_, petr.email);
  const std::string presence = case_path_ + "/presence";
  EXPECT_EQ(BodyOf(harness_.Send("PUT", presence, R"({"activity":"replying"})", as_tereza))["others"], json::array());
  const json others = BodyOf(harness_.Send("PUT", presence, R"({"activity":"viewing"})", as_petr))["others"];
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0]["user_id"], tereza.id);
  EXPECT_EQ(others[0]["activity"], "replying");
  EXPECT_EQ(harness_.Send("DELETE", presence, "", as_tereza).status, 204);
  EXPECT_EQ(BodyOf(harness_.Send("PUT", presence, R"({"activity":"viewing"})", as_petr))["others"], json::array());
  ExpectError(harness_.Send("PUT", presence, R"({"activity":"typing"})", as_petr), 400, "invalid_argument", "activity");
  const Credentials outsider = harness_.LoginAs(tenant_, Role::kAgent);
  EXPECT_EQ(harness_.Send("PUT", presence, R"({"activity":"viewing"})", outsider).status, 404);
  ExpectError(harness_.Send("PATCH", "/api/v1/cases", json{{"case_ids", {case_id_}}, {"priority", "low"}}.dump(),
                            outsider),
              404, "not_found", "case_ids[0]");
}

TEST_P(CaseRoutesTest, ManagersWriteMacrosAndAgentsApplyThem) {
  const json definition = {{"name", "Nová zásilka"},
                           {"reply", {{"body", "Dobrý den {{customer.first_name}}, posíláme novou ({{case.order_ids}})."}}},
                           {"set", {{"status", "pending"}, {"add_tags", {"reship"}}}}};
  const Credentials manager = harness_.LoginAs(tenant_, Role::kManager);
  const json macro = Post("/api/v1/macros", definition, 201, manager);
  ExpectError(harness_.Send("POST", "/api/v1/macros",
                            R"({"name":"Bad","reply":{"body":"Hi {{customer.nickname}}"}})", manager),
              400, "invalid_argument", "reply.body");

  const identity::User member = harness_.CreateUser(tenant_, Role::kAgent);
  harness_.Send("PUT", "/api/v1/teams/" + team_ + "/members/" + member.id, "", admin_);
  const Credentials agent = harness_.Login(tenant_, member.email);
  EXPECT_EQ(harness_.Send("POST", "/api/v1/macros", definition.dump(), agent).status, 403);
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/macros", "", agent))["items"].size(), 1u);

  const std::string macro_path = case_path_ + "/macros/" + macro["id"].get<std::string>();
  const json preview = Post(macro_path + "/preview", json::object(), 200, agent);
  EXPECT_EQ(preview["message"]["body"], "Dobrý den Jana, posíláme novou (ORD-7).");
  EXPECT_EQ(BodyOf(harness_.Send("GET", case_path_, "", agent))["status"], "new");  // a preview writes nothing

  const json applied = Post(macro_path + "/apply", json::object(), 200, agent);
  EXPECT_EQ(applied["case"]["status"], "pending");
  EXPECT_EQ(applied["case"]["tags"], json({"reship"}));
  EXPECT_EQ(applied["message"]["kind"], "reply");
  EXPECT_EQ(applied["message"]["author"]["id"], member.id);

  const Credentials outsider = harness_.LoginAs(tenant_, Role::kAgent);
  EXPECT_EQ(harness_.Send("POST", macro_path + "/apply", "", outsider).status, 404);
  EXPECT_EQ(harness_.Send("POST", case_path_ + "/macros/mac_01JUNKJUNKJUNKJUNKJUNKJUNK/apply", "", agent).status, 404);
}

TEST_P(CaseRoutesTest, ManagersDefineCustomFieldsAndCasesCarryTheirValues) {
  const Credentials manager = harness_.LoginAs(tenant_, Role::kManager);
  const json product = Post("/api/v1/case-fields",
                            {{"key", "product"}, {"label", "Produkt"}, {"kind", "choice"}, {"choices", {"boty", "kabelky"}}},
                            201, manager);
  EXPECT_EQ(product["active"], true);
  Post("/api/v1/case-fields", {{"key", "refund_czk"}, {"label", "Refundace"}, {"kind", "number"}}, 201, manager);
  ExpectError(harness_.Send("POST", "/api/v1/case-fields", R"({"key":"Bad Key","label":"x","kind":"text"})", manager),
              400, "invalid_argument", "key");
  ExpectError(harness_.Send("POST", "/api/v1/case-fields", R"({"key":"x","label":"x","kind":"money"})", manager), 400,
              "invalid_argument", "kind");
  ExpectError(harness_.Send("POST", "/api/v1/case-fields", R"({"key":"product","label":"x","kind":"text"})", manager),
              409, "conflict", "key");

  const json patched = BodyOf(harness_.Send(
      "PATCH", case_path_, R"({"custom_fields":{"product":"boty","refund_czk":1290}})", admin_));
  EXPECT_EQ(patched["custom_fields"], json::parse(R"({"product":"boty","refund_czk":1290})"));
  ExpectError(harness_.Send("PATCH", case_path_, R"({"custom_fields":{"product":"klobouky"}})", admin_), 400,
              "invalid_argument", "custom_fields.product");
  ExpectError(harness_.Send("PATCH", case_path_, R"({"custom_fields":["boty"]})", admin_), 400, "invalid_argument",
              "custom_fields");
  EXPECT_EQ(BodyOf(harness_.Send("GET", case_path_, "", admin_))["custom_fields"]["product"], "boty");

  // Deactivated: the value stays on the case, but nothing sets it any more.
  const http::Response off = harness_.Send("PATCH", "/api/v1/case-fields/product", R"({"active":false})", manager);
  EXPECT_EQ(off.status, 200) << off.body;
  ExpectError(harness_.Send("PATCH", case_path_, R"({"custom_fields":{"product":"kabelky"}})", admin_), 400,
              "invalid_argument", "custom_fields.product");
  EXPECT_EQ(BodyOf(harness_.Send("GET", case_path_, "", admin_))["custom_fields"]["product"], "boty");
  const json listed = BodyOf(harness_.Send("GET", "/api/v1/case-fields", "", admin_));
  ASSERT_EQ(listed["items"].size(), 2u);
  EXPECT_EQ(listed["items"][0]["active"], false);
  ExpectError(harness_.Send("PATCH", "/api/v1/case-fields/nothing", R"({"active":false})", manager), 404, "not_found",
              "key");
  const Credentials agent = harness_.LoginAs(tenant_, Role::kAgent);
  EXPECT_EQ(harness_.Send("POST", "/api/v1/case-fields", R"({"key":"y","label":"y","kind":"text"})", agent).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, CaseRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
