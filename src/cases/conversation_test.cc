#include "cases/conversation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "cases/attachments.h"
#include "cases/test_support.h"
#include "common/crypto.h"
#include "outbound/deliveries.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using profiles::ReadResult;
using profiles::WriteResult;

const ReplyMail kMail{.from = "support@shop.example"};
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'x');

TEST(AttachmentCheck, TheDeclaredTypeMustBeAllowedAndTheBytesMustMatchIt) {
  EXPECT_EQ(CheckAttachment({.file_name = "parcel.png", .content_type = "IMAGE/PNG", .content = kPng})->content_type,
            "image/png");
  EXPECT_EQ(CheckAttachment({.file_name = "faktura.csv", .content_type = "text/csv; charset=utf-8",
                             .content = "číslo;částka\n1;100\n"})
                ->content_type,
            "text/csv");
  EXPECT_EQ(CheckAttachment({.file_name = "a.pdf", .content_type = "application/pdf", .content = "%PDF-1.7 ..."})
                ->content_type,
            "application/pdf");

  const Status html = CheckAttachment({.file_name = "x", .content_type = "text/html", .content = "<b>"}).status();
  EXPECT_EQ(html.code(), ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(html.field(), "content_type");
  // A page or a program labelled as an image is refused by its bytes.
  const Status fake = CheckAttachment({.file_name = "cat.png", .content_type = "image/png",
                                       .content = "<script>alert(1)</script>"})
                          .status();
  EXPECT_EQ(fake.field(), "content");
  EXPECT_EQ(CheckAttachment({.file_name = "bin.txt", .content_type = "text/plain", .content = std::string("a\0b", 3)})
                .status()
                .field(),
            "content");
  EXPECT_EQ(CheckAttachment({.file_name = "invoice.pdf.exe", .content_type = "application/pdf",
                             .content = "%PDF-1.7"})
                .status()
                .field(),
            "file_name");
  EXPECT_EQ(CheckAttachment({.file_name = "page.HTML", .content_type = "text/plain", .content = "hi"}).status().field(),
            "file_name");
  EXPECT_EQ(CheckAttachment({.file_name = "../etc/passwd", .content_type = "text/plain", .content = "x"})
                .status()
                .field(),
            "file_name");
  EXPECT_EQ(CheckAttachment({.file_name = "empty.txt", .content_type = "text/plain", .content = ""}).status().field(),
            "content");
  const Status big = CheckAttachment({.file_name = "big.pdf", .content_type = "application/pdf",
                                      .content = "%PDF-" + std::string(kMaxAttachmentBytes, 'x')})
                         .status();
  EXPECT_EQ(big.code(), ErrorCode::kPayloadTooLarge);
}

class ConversationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<Case> created = WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) -> Result<Case> {
      TP_ASSIGN_OR_RETURN(profiles::Customer jana,
                          profiles::CreateCustomer(tx, {.name = "Jana Nová", .email = "jana@example.cz"}, kAgentActor));
      return CreateCase(tx, {.customer_id = jana.id, .subject = "Zásilka dorazila poškozená",
                             .channel = Channel::kEmail, .type = CaseType::kOrderIssue, .order_ids = {"ORD-7"}},
                        kAgentActor);
    });
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    case_ = *created;
  }

  store::Store& store() { return db_->store(); }

  Result<Message> Add(const NewMessage& input, const ReplyMail& mail = kMail) {
    return WriteResult<Message>(store(), tenant_,
                                [&](store::TenantTx& tx) { return AddMessage(tx, case_.id, input, mail, kAgentActor); });
  }

  Case Reread() {
    Result<Case> item = ReadResult<Case>(store(), tenant_, [&](store::TenantTx& tx) { return GetCase(tx, case_.id); });
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *item : Case{};
  }

  std::vector<TimelineEntry> Timeline() {
    auto timeline = ReadResult<std::vector<TimelineEntry>>(
        store(), tenant_, [&](store::TenantTx& tx) { return ReadConversation(tx, case_.id); });
    EXPECT_TRUE(timeline.ok()) << timeline.status().ToString();
    return timeline.ok() ? *timeline : std::vector<TimelineEntry>{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  Case case_;
};

TEST_P(ConversationTest, AReplyIsMailedToTheCustomerAndSetsTheFirstResponseOnce) {
  Result<Message> reply = Add({.body = "Dobrý den,\nposíláme novou.", .status = CaseStatus::kPending});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(MessageDirection(reply->kind), "outbound");
  EXPECT_EQ(reply->author_type, "user");
  EXPECT_EQ(reply->author_id, "usr_agent");
  EXPECT_EQ(reply->channel, Channel::kEmail);
  EXPECT_EQ(reply->delivery_state, "pending");
  ASSERT_TRUE(reply->delivery_id);
  Result<outbound::Delivery> delivery = ReadResult<outbound::Delivery>(
      store(), tenant_, [&](store::TenantTx& tx) { return outbound::GetDelivery(tx, *reply->delivery_id); });
  ASSERT_TRUE(delivery.ok());
  EXPECT_EQ(delivery->destination, "jana@example.cz");
  EXPECT_EQ(delivery->source, "case:" + case_.id);

  const Case after_first = Reread();
  EXPECT_EQ(after_first.status, CaseStatus::kPending);
  ASSERT_TRUE(after_first.first_response_at);
  ASSERT_TRUE(Add({.body = "Ještě jedna věc."}).ok());
  EXPECT_EQ(Reread().first_response_at, after_first.first_response_at);

  // Without a mail server the reply is kept but not sent, and says so.
  Result<Message> unsent = Add({.body = "Poznámka pro zákazníka"}, ReplyMail{});
  ASSERT_TRUE(unsent.ok());
  EXPECT_EQ(unsent->delivery_state, "not_sent");
  EXPECT_FALSE(unsent->delivery_id);
}

TEST_P(ConversationTest, ACustomerMessageReopensASolvedCaseAndAClosedCaseTakesNone) {
  ASSERT_TRUE(Add({.body = "Vyřešeno.", .status = CaseStatus::kSolved}).ok());
  EXPECT_EQ(Reread().status, CaseStatus::kSolved);
  EXPECT_TRUE(Reread().solved_at);

  Result<Message> again = Add({.kind = MessageKind::kCustomer, .body = "Pořád nedorazila!"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->author_type, "customer");
  EXPECT_EQ(again->author_id, case_.customer_id);
  EXPECT_EQ(again->delivery_state, "received");
  EXPECT_EQ(Reread().status, CaseStatus::kOpen);
  EXPECT_FALSE(Reread().solved_at);

  EXPECT_EQ(Add({.kind = MessageKind::kCustomer, .body = "x", .status = CaseStatus::kSolved}).status().field(),
            "status");
  ASSERT_TRUE(Add({.kind = MessageKind::kNote, .body = "Zavírám", .status = CaseStatus::kClosed}).ok());
  for (MessageKind kind : {MessageKind::kCustomer, MessageKind::kReply, MessageKind::kNote}) {
    const Status closed = Add({.kind = kind, .body = "Haló?"}).status();
    EXPECT_EQ(closed.code(), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(closed.field(), "case_id");
  }
}

TEST_P(ConversationTest, HtmlIsKeptAsGivenAndRenderedSafely) {
  const std::string body = "<p>Foto <b>zde</b><script>alert(1)</script><img src=x onerror=alert(2)></p>";
  Result<Message> message = Add({.kind = MessageKind::kCustomer, .body = body, .format = richtext::BodyFormat::kHtml});
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->body, body);
  EXPECT_THAT(message->rendered.html, HasSubstr("<b>zde</b>"));
  EXPECT_THAT(message->rendered.html, ::testing::Not(HasSubstr("script")));
  EXPECT_THAT(message->rendered.html, ::testing::Not(HasSubstr("onerror")));
  EXPECT_THAT(message->rendered.text, HasSubstr("Foto zde"));

  const std::vector<TimelineEntry> timeline = Timeline();
  ASSERT_EQ(timeline.size(), 2u);  // the case's creation, then the message
  ASSERT_TRUE(timeline[1].message);
  EXPECT_EQ(timeline[1].message->body, body);
  EXPECT_EQ(timeline[1].message->rendered.html, message->rendered.html);

  EXPECT_EQ(Add({.body = "   "}).status().field(), "body");
  EXPECT_EQ(Add({.body = std::string(richtext::kMaxBodyBytes + 1, 'a')}).status().field(), "body");
}

TEST_P(ConversationTest, TheTimelineShowsMessagesAndChangesInTheOrderTheyHappened) {
  ASSERT_TRUE(Add({.kind = MessageKind::kCustomer, .body = "Kde je moje zásilka?"}).ok());
  ASSERT_TRUE(WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return UpdateCase(tx, case_.id, {.priority = CasePriority::kHigh, .add_tags = {"damaged"}}, kAgentActor);
              }).ok());
  ASSERT_TRUE(Add({.kind = MessageKind::kNote, .body = "Ověřit u dopravce"}).ok());
  ASSERT_TRUE(Add({.body = "Ověřujeme."}).ok());  // moves the new case to open

  const std::vector<TimelineEntry> timeline = Timeline();
  std::vector<std::string> what;
  for (const TimelineEntry& entry : timeline) {
    what.push_back(entry.message ? std::string(MessageKindName(entry.message->kind)) : entry.change->action);
  }
  EXPECT_THAT(what, ElementsAre("case.create", "customer", "case.update", "note", "reply", "case.update"));
  const CaseChange& priority = *timeline[2].change;
  EXPECT_EQ(priority.actor_id, "usr_agent");
  EXPECT_EQ(nlohmann::json::parse(priority.before_json)["priority"], "normal");
  EXPECT_EQ(nlohmann::json::parse(priority.after_json)["priority"], "high");
  EXPECT_EQ(nlohmann::json::parse(priority.after_json)["tags"], nlohmann::json::array({"damaged"}));
  EXPECT_EQ(nlohmann::json::parse(timeline[5].change->after_json)["status"], "open");
  EXPECT_EQ(MessageDirection(timeline[3].message->kind), "internal");
  EXPECT_EQ(timeline[3].message->delivery_state, "internal");
}

TEST_P(ConversationTest, AttachmentsAreStoredOnceByContentAndSentWithOneMessage) {
  auto upload = [&](const std::string& name) {
    return WriteResult<Attachment>(store(), tenant_, [&](store::TenantTx& tx) {
      return UploadAttachment(tx, case_.id, {.file_name = name, .content_type = "image/png", .content = kPng});
    });
  };
  Result<Attachment> first = upload("krabice.png");
  Result<Attachment> second = upload("krabice-znovu.png");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->sha256, Sha256Hex(kPng));
  EXPECT_EQ(first->sha256, second->sha256);
  EXPECT_FALSE(first->message_id);
  auto contents = ReadResult<std::int64_t>(store(), tenant_, [&](store::TenantTx& tx) -> Result<std::int64_t> {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM attachment_contents WHERE tenant_id = $1"));
    return row->Int(0);
  });
  EXPECT_EQ(*contents, 1);

  Result<Message> message = Add({.kind = MessageKind::kCustomer, .body = "Fotky", .attachment_ids = {first->id}});
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  ASSERT_EQ(message->attachments.size(), 1u);
  EXPECT_EQ(message->attachments[0].message_id, message->id);
  // Sent once only; an unknown id or another case's upload is named.
  EXPECT_EQ(Add({.body = "again", .attachment_ids = {first->id}}).status().field(), "attachment_ids");
  EXPECT_EQ(Add({.body = "nope", .attachment_ids = {"att_01JUNKJUNKJUNKJUNKJUNKJUNK"}}).status().field(),
            "attachment_ids");

  const std::vector<TimelineEntry> timeline = Timeline();
  ASSERT_TRUE(timeline.back().message);
  ASSERT_EQ(timeline.back().message->attachments.size(), 1u);
  EXPECT_EQ(timeline.back().message->attachments[0].file_name, "krabice.png");
  auto bytes = ReadResult<std::string>(store(), tenant_, [&](store::TenantTx& tx) -> Result<std::string> {
    TP_ASSIGN_OR_RETURN(Attachment stored, GetAttachment(tx, first->id));
    return ReadAttachmentContent(tx, stored);
  });
  EXPECT_EQ(*bytes, kPng);

  const Status missing = WriteResult<Attachment>(store(), tenant_, [&](store::TenantTx& tx) {
                           return UploadAttachment(tx, "cas_01JUNKJUNKJUNKJUNKJUNKJUNK",
                                                   {.file_name = "a.png", .content_type = "image/png", .content = kPng});
                         }).status();
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConversationTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
