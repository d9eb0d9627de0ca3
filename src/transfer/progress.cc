#include "transfer/progress.h"

#include <cinttypes>

namespace tp::transfer {

std::string FormatBytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%" PRIu64 " B", bytes);
  } else {
    std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  }
  return text;
}

std::string FormatProgress(const ImportProgress& progress) {
  std::string line = FormatBytes(progress.bytes_read);
  if (progress.total_bytes > 0) {
    const double fraction = static_cast<double>(progress.bytes_read) / static_cast<double>(progress.total_bytes);
    char percent[48];
    std::snprintf(percent, sizeof percent, " of %s (%.0f%%)", FormatBytes(progress.total_bytes).c_str(),
                  fraction * 100);
    line += percent;
  }
  char rows[160];
  const double rate = progress.seconds > 0 ? static_cast<double>(progress.rows_read) / progress.seconds : 0;
  std::snprintf(rows, sizeof rows, ", %" PRId64 " rows (%" PRId64 " loaded, %" PRId64 " rejected), %.0f rows/s",
                progress.rows_read, progress.loaded, progress.rejected, rate);
  line += rows;
  if (progress.total_bytes > 0 && progress.bytes_read > 0 && progress.bytes_read < progress.total_bytes &&
      progress.seconds > 1) {
    const double left = progress.seconds * static_cast<double>(progress.total_bytes - progress.bytes_read) /
                        static_cast<double>(progress.bytes_read);
    const auto seconds = static_cast<std::int64_t>(left);
    char eta[48];
    if (seconds >= 3600) {
      std::snprintf(eta, sizeof eta, ", %" PRId64 "h%02" PRId64 "m left", seconds / 3600, seconds % 3600 / 60);
    } else {
      std::snprintf(eta, sizeof eta, ", %" PRId64 "m%02" PRId64 "s left", seconds / 60, seconds % 60);
    }
    line += eta;
  }
  return line;
}

void ProgressLine::Update(const ImportProgress& progress) {
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  std::fprintf(out_, "\r\x1b[2K%s", FormatProgress(progress).c_str());
  std::fflush(out_);
}

void ProgressLine::Finish() {
  if (!terminal_ || !shown_) return;
  std::fprintf(out_, "\r\x1b[2K");
  std::fflush(out_);
  shown_ = false;
}

}  // namespace tp::transfer
