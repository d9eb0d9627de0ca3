#include "transfer/csv.h"

namespace tp::transfer {
namespace {

constexpr std::size_t kBufferBytes = 64 * 1024;

}  // namespace

CsvReader::CsvReader(std::istream& in, CsvOptions options) : in_(in), options_(options), buffer_(kBufferBytes) {}

bool CsvReader::Fill() {
  if (eof_) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  const std::streamsize got = in_.gcount();
  if (in_.bad()) io_error_ = true;
  position_ = 0;
  end_ = got > 0 ? static_cast<std::size_t>(got) : 0;
  if (end_ == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

int CsvReader::Peek() {
  if (position_ == end_ && !Fill()) return -1;
  return static_cast<unsigned char>(buffer_[position_]);
}

int CsvReader::Get() {
  const int c = Peek();
  if (c >= 0) {
    ++position_;
    ++consumed_;
  }
  return c;
}

void CsvReader::Fail(CsvRecord& record, std::string message, int column) {
  if (!record.error.empty()) return;  // the first problem is the one reported
  record.error = std::move(message);
  record.error_column = column;
}

void CsvReader::Append(CsvRecord& record, char c) {
  if (overflow_) return;
  if (++record_bytes_ > options_.max_record_bytes) {
    overflow_ = true;
    // Give the memory back: the record is rejected as a whole.
    record.fields.clear();
    record.fields.shrink_to_fit();
    record.error.clear();
    Fail(record, "the record is longer than " + std::to_string(options_.max_record_bytes) + " bytes", -1);
    return;
  }
  record.fields.back().push_back(c);
}

bool CsvReader::Next(CsvRecord& record) {
  record.fields.clear();
  record.error.clear();
  record.error_column = -1;
  record_bytes_ = 0;
  overflow_ = false;

  if (!started_) {
    started_ = true;
    if (Peek() == 0xEF) {
      // A UTF-8 byte-order mark is only skipped whole; anything else starting with 0xEF is data.
      if (end_ - position_ >= 3 && static_cast<unsigned char>(buffer_[position_ + 1]) == 0xBB &&
          static_cast<unsigned char>(buffer_[position_ + 2]) == 0xBF) {
        position_ += 3;
        consumed_ += 3;
      }
    }
  }
  // Skip empty lines between records.
  for (;;) {
    const int c = Peek();
    if (c < 0) return false;
    if (c == '\n') {
      Get();
      ++line_;
    } else if (c == '\r') {
      Get();
      if (Peek() == '\n') Get();
      ++line_;
    } else {
      break;
    }
  }

  record.line = line_;
  record.fields.emplace_back();
  int column = 0;
  for (;;) {
    // At the start of a field.
    int c = Peek();
    bool quoted_field = false;
    if (c == '"') {
      quoted_field = true;
      Get();
      const std::int64_t opened_on = line_;
      for (;;) {
        c = Get();
        if (c < 0) {
          Fail(record, "unterminated quoted field (the quote opened on line " + std::to_string(opened_on) + ")",
               column);
          return true;
        }
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            Append(record, '"');
            continue;
          }
          break;  // the closing quote
        }
        if (c == '\n') ++line_;
        if (c == '\r' && Peek() != '\n') ++line_;
        Append(record, static_cast<char>(c));
      }
    }
    // Unquoted text, or what follows a closing quote (which must be a delimiter or a line end).
    bool after_quote = quoted_field;
    for (;;) {
      c = Peek();
      if (c < 0 || c == ',' || c == '\n' || c == '\r') break;
      Get();
      if (after_quote) {
        Fail(record, "unexpected character after the closing quote", column);
        after_quote = false;
      } else if (c == '"') {
        Fail(record, "stray quote in an unquoted field (quote the field and double the quote)", column);
      }
      Append(record, static_cast<char>(c));
    }
    if (c == ',') {
      Get();
      ++column;
      if (!overflow_) record.fields.emplace_back();
      continue;
    }
    // End of the record: LF, CRLF, a lone CR, or the end of the input.
    if (c == '\r') {
      Get();
      if (Peek() == '\n') Get();
      ++line_;
    } else if (c == '\n') {
      Get();
      ++line_;
    }
    break;
  }
  if (record.error.empty()) {
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      const std::size_t bad = FindInvalidUtf8(record.fields[i]);
      if (bad != std::string_view::npos) {
        Fail(record, "invalid UTF-8 at byte " + std::to_string(bad + 1) + " of the field", static_cast<int>(i));
        break;
      }
    }
  }
  return true;
}

std::size_t FindInvalidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // no overlong forms
      if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;  // at most U+10FFFF
    } else {
      return i;
    }
    if (i + length > size) return i;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

void AppendCsvField(std::string& out, std::string_view value) {
  const bool needs_quotes = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                            (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!needs_quotes) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    AppendCsvField(out, fields[i]);
  }
  out += "\r\n";
}

}  // namespace tp::transfer
