#include "transfer/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace tp::transfer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<CsvRecord> ReadAll(const std::string& text, CsvOptions options = {}) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.Next(record)) records.push_back(record);
  EXPECT_EQ(reader.bytes_read(), text.size());
  return records;
}

TEST(CsvReaderTest, PlainRecordsWithLfAndCrlf) {
  auto records = ReadAll("a,b,c\n1,2,3\r\n4,5,6");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_THAT(records[1].fields, ElementsAre("1", "2", "3"));
  EXPECT_THAT(records[2].fields, ElementsAre("4", "5", "6"));
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 3);
  for (const auto& record : records) EXPECT_THAT(record.error, IsEmpty());
}

TEST(CsvReaderTest, QuotedFieldsDoubledQuotesAndNewlinesInside) {
  auto records = ReadAll("name,note\r\n\"Nováková, Jana\",\"said \"\"hi\"\"\"\r\n\"multi\nline\r\nvalue\",x\r\nnext,row\r\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].fields, ElementsAre("Nováková, Jana", "said \"hi\""));
  EXPECT_THAT(records[2].fields, ElementsAre("multi\nline\r\nvalue", "x"));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[3].line, 6);
  // The record after the one with two line breaks inside quotes starts on physical line 5.
  auto all = ReadAll("h\n\"a\nb\nc\"\nd\n");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].line, 2);
  EXPECT_EQ(all[2].line, 5);
  EXPECT_THAT(all[2].fields, ElementsAre("d"));
}

TEST(CsvReaderTest, EmptyFieldsAndEmptyLines) {
  auto records = ReadAll("a,,c\n\n,,\n\r\n\"\",x\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "", "c"));
  EXPECT_THAT(records[1].fields, ElementsAre("", "", ""));
  EXPECT_EQ(records[1].line, 3);
  EXPECT_THAT(records[2].fields, ElementsAre("", "x"));
  EXPECT_EQ(records[2].line, 5);
  EXPECT_THAT(ReadAll(""), IsEmpty());
  EXPECT_THAT(ReadAll("\n\n"), IsEmpty());
}

TEST(CsvReaderTest, SkipsUtf8ByteOrderMark) {
  auto records = ReadAll("\xEF\xBB\xBFuser_id,email\nu1,a@b.cz\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("user_id", "email"));
  // Only at the very start, and only the whole mark.
  auto later = ReadAll("a\n\xEF\xBB\xBFx\n");
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].fields[0], "\xEF\xBB\xBFx");
}

TEST(CsvReaderTest, UnterminatedQuoteAtEndOfInput) {
  auto records = ReadAll("a,b\n1,\"open\n2,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[1].error, HasSubstr("unterminated quoted field"));
  EXPECT_THAT(records[1].error, HasSubstr("line 2"));
  EXPECT_EQ(records[1].error_column, 1);
  EXPECT_EQ(records[1].line, 2);
}

TEST(CsvReaderTest, StrayQuoteAndTextAfterClosingQuoteAreErrorsOfTheirRecordOnly) {
  auto records = ReadAll("a,b\nab\"c,d\n\"x\"y,z\nok,fine\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].error, HasSubstr("stray quote"));
  EXPECT_EQ(records[1].error_column, 0);
  EXPECT_THAT(records[2].error, HasSubstr("after the closing quote"));
  EXPECT_EQ(records[2].error_column, 0);
  EXPECT_THAT(records[3].error, IsEmpty());
  EXPECT_THAT(records[3].fields, ElementsAre("ok", "fine"));
  EXPECT_EQ(records[3].line, 4);
}

TEST(CsvReaderTest, InvalidUtf8NamesTheField) {
  auto records = ReadAll("a,b\nok,bad\xC3(\nok,\xED\xA0\x80\nfine,\xF0\x9F\x98\x80\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].error, HasSubstr("invalid UTF-8"));
  EXPECT_EQ(records[1].error_column, 1);
  EXPECT_THAT(records[2].error, HasSubstr("invalid UTF-8"));  // a UTF-16 surrogate
  EXPECT_THAT(records[3].error, IsEmpty());                   // an emoji is fine
}

TEST(CsvReaderTest, RecordOverTheLimitIsAnErrorAndReadingGoesOn) {
  const std::string big(5000, 'x');
  auto records = ReadAll("a,b\n" + big + ",1\n\"" + big + "\n" + big + "\",2\nafter,3\n", {.max_record_bytes = 1000});
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].error, HasSubstr("longer than 1000 bytes"));
  EXPECT_THAT(records[1].fields, IsEmpty());
  EXPECT_THAT(records[2].error, HasSubstr("longer than 1000 bytes"));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_THAT(records[3].fields, ElementsAre("after", "3"));
  EXPECT_EQ(records[3].line, 5);
}

TEST(CsvReaderTest, LargeInputAcrossBufferBoundaries) {
  std::string text = "id,value\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ",\"v,\"\"" + std::to_string(i) + "\"\"\"\r\n";
  auto records = ReadAll(text);
  ASSERT_EQ(records.size(), 20001u);
  EXPECT_THAT(records[12345].fields, ElementsAre("12344", "v,\"12344\""));
  EXPECT_EQ(records[20000].line, 20001);
}

TEST(CsvWriterTest, QuotesOnlyWhenNeededAndReadsBack) {
  std::string out;
  AppendCsvRecord(out, {"plain", "with,comma", "with \"quote\"", "line\nbreak", " padded", ""});
  EXPECT_EQ(out, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"line\nbreak\",\" padded\",\r\n");
  auto records = ReadAll(out);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].fields, ElementsAre("plain", "with,comma", "with \"quote\"", "line\nbreak", " padded", ""));
}

TEST(Utf8Test, FindsTheFirstInvalidSequence) {
  EXPECT_EQ(FindInvalidUtf8("žluťoučký kůň"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\xAF"), 2u);      // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("x\xE2\x82"), 1u);       // truncated
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);
}

}  // namespace
}  // namespace tp::transfer
