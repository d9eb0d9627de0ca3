// Progress of a long import on a terminal: one line, rewritten in place at most a few times a second,
// with bytes and percent read, rows per second and the time left. On a pipe or file it prints nothing
// while running (the caller prints one summary line at the end), so logs stay clean.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "transfer/import.h"

namespace tp::transfer {

// "12.3 MiB of 1.0 GiB (1%), 120000 rows, 15000 rows/s, 1m20s left" (the parts that are known).
std::string FormatProgress(const ImportProgress& progress);
// "1.5 KiB", "12.3 MiB".
std::string FormatBytes(std::uint64_t bytes);

class ProgressLine {
 public:
  // `terminal`: whether `out` is a terminal (isatty); nothing is printed when it is not.
  ProgressLine(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}
  void Update(const ImportProgress& progress);
  // Clears the line (call before printing the summary).
  void Finish();

 private:
  std::FILE* out_;
  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace tp::transfer
