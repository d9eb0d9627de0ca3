#include "store/failing_sync.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace {
std::atomic<bool> fail_syncs{false};
}  // namespace

extern "C" int fdatasync(int fd) {
  if (fail_syncs.load()) {
    errno = EIO;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace tp::store {

void FailSyncs(bool fail) { fail_syncs = fail; }

}  // namespace tp::store
