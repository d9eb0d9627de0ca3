// RFC 4180 CSV, read as a stream: quoted fields, doubled quotes, CRLF or LF line ends, line breaks inside
// quotes, an optional UTF-8 byte-order mark. The reader holds one record in memory (up to
// CsvOptions::max_record_bytes) and a 64 KiB read buffer, so a file of any size reads in bounded memory.
//
//   CsvReader reader(file);
//   CsvRecord record;
//   while (reader.Next(record)) {
//     if (!record.error.empty()) { ... reject record.line with record.error ... ; continue; }
//     ... record.fields ...
//   }
//
// A malformed record is reported and reading goes on with the next one: a stray quote inside an
// unquoted field, a character after a closing quote, invalid UTF-8, a record over the size limit (its
// bytes are skipped, not stored). An unterminated quoted field runs to the end of the input, as RFC
// 4180 says it must, and is reported with the line it started on. Empty lines between records are
// skipped.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace tp::transfer {

struct CsvOptions {
  std::size_t max_record_bytes = 1 << 20;
};

struct CsvRecord {
  std::int64_t line = 0;  // the physical line (1-based) the record starts on
  std::vector<std::string> fields;
  std::string error;      // empty when the record is well-formed
  int error_column = -1;  // the 0-based field the error is about, -1 for the whole record
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, CsvOptions options = {});
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `record`; false at the end of the input.
  bool Next(CsvRecord& record);
  // Bytes of the input consumed so far (progress reporting).
  std::uint64_t bytes_read() const { return consumed_; }
  // True when the underlying stream failed with an I/O error (not end of file).
  bool io_error() const { return io_error_; }

 private:
  int Get();
  int Peek();
  bool Fill();
  void Append(CsvRecord& record, char c);
  void Fail(CsvRecord& record, std::string message, int column);

  std::istream& in_;
  CsvOptions options_;
  std::vector<char> buffer_;
  std::size_t position_ = 0;
  std::size_t end_ = 0;
  std::uint64_t consumed_ = 0;
  std::int64_t line_ = 1;
  bool started_ = false;
  bool eof_ = false;
  bool io_error_ = false;
  std::size_t record_bytes_ = 0;
  bool overflow_ = false;
};

// Where the first invalid UTF-8 sequence in `text` starts, or npos when it is valid UTF-8 (overlong
// encodings, surrogates and code points above U+10FFFF are invalid).
std::size_t FindInvalidUtf8(std::string_view text);

// Appends one field, quoted when it holds a comma, quote, CR or LF or starts or ends with a space.
void AppendCsvField(std::string& out, std::string_view value);
// Appends the fields separated by commas and ended with CRLF.
void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields);

}  // namespace tp::transfer
