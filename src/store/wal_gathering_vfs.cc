#include "store/wal_gathering_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

namespace tp::store {
namespace {

constexpr const char* kVfsName = "tp-wal-gathering";
constexpr int kFrameHeaderBytes = 24;
constexpr std::size_t kMaxGatheredBytes = std::size_t{8} << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length), so it is handed at
// most this much at a time.
constexpr std::size_t kWriteChunkBytes = std::size_t{64} << 10;

// SQLite allocates szOsFile bytes per open file and sees the first member; the default VFS's own file
// object follows in the same allocation.
struct GatheringFile {
  sqlite3_file base;
  sqlite3_file* inner;
  bool is_wal;
  GatheringFile* wal;           // a database file: its open WAL (the same connection's), or nullptr
  GatheringFile* database;      // a WAL: its database file
  sqlite3_int64 written_end;    // where the last write through this file ended (-1: none yet)
  bool page_next;               // the last write was a gathered frame header: its page comes next
  bool commit_page_next;        // ... and that header was a commit frame's
  sqlite3_int64 gathered_at;
  std::vector<char> gathered;
};

constexpr std::size_t kInnerOffset = (sizeof(GatheringFile) + alignof(std::max_align_t) - 1) /
                                     alignof(std::max_align_t) * alignof(std::max_align_t);

sqlite3_vfs* InnerVfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
GatheringFile& Self(sqlite3_file* file) { return *reinterpret_cast<GatheringFile*>(file); }
const sqlite3_io_methods& Inner(const GatheringFile& self) { return *self.inner->pMethods; }

std::uint32_t BigEndian32(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

// Writes out what is gathered. A failed write drops it: SQLite fails the transaction, and its frames
// lie past the log's committed end, where the next transaction writes again.
int Flush(GatheringFile& self) {
  self.page_next = false;
  self.commit_page_next = false;
  int code = SQLITE_OK;
  for (std::size_t done = 0; done < self.gathered.size() && code == SQLITE_OK; done += kWriteChunkBytes) {
    const std::size_t size = std::min(kWriteChunkBytes, self.gathered.size() - done);
    code = Inner(self).xWrite(self.inner, self.gathered.data() + done, static_cast<int>(size),
                              self.gathered_at + static_cast<sqlite3_int64>(done));
  }
  self.gathered.clear();
  return code;
}

int Close(sqlite3_file* file) {
  GatheringFile& self = Self(file);
  const int flushed = Flush(self);
  const int closed = Inner(self).xClose(self.inner);
  if (self.database != nullptr) self.database->wal = nullptr;
  if (self.wal != nullptr) self.wal->database = nullptr;
  self.~GatheringFile();
  return flushed != SQLITE_OK ? flushed : closed;
}

// Gathers SQLite's frame appends: a 24-byte header that continues the previous write, then its page.
// Any other write (the log's own header, a page rewritten in place, checksums rewritten after a
// transaction spilled, writes split at a sync point) goes out directly, after what was gathered.
int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  GatheringFile& self = Self(file);
  if (!self.is_wal) return Inner(self).xWrite(self.inner, data, amount, offset);
  const bool continues = offset == self.written_end;
  self.written_end = offset + amount;
  const auto* bytes = static_cast<const char*>(data);
  if (continues && self.page_next) {
    self.gathered.insert(self.gathered.end(), bytes, bytes + amount);
    self.page_next = false;
    if (self.commit_page_next || self.gathered.size() >= kMaxGatheredBytes) return Flush(self);
    return SQLITE_OK;
  }
  if (continues && amount == kFrameHeaderBytes) {
    if (self.gathered.empty()) self.gathered_at = offset;
    self.gathered.insert(self.gathered.end(), bytes, bytes + amount);
    self.page_next = true;
    self.commit_page_next = BigEndian32(bytes + 4) != 0;  // the database size, set on commit frames only
    return SQLITE_OK;
  }
  if (const int flushed = Flush(self); flushed != SQLITE_OK) return flushed;
  return Inner(self).xWrite(self.inner, data, amount, offset);
}

// SQLite publishes a commit to other connections between memory barriers on the database file. The
// commit frame's page has normally been written out by then; should a pattern of writes ever leave
// frames gathered here, they are written now. That write cannot report an error, and other connections
// must not read frames that are not in the file, so a failure there stops the process: the commit was
// not yet acknowledged, and recovery, which checks every frame, drops it.
void ShmBarrier(sqlite3_file* file) {
  GatheringFile& self = Self(file);
  if (self.wal != nullptr && !self.wal->gathered.empty() && Flush(*self.wal) != SQLITE_OK) {
    std::fputs("touchpoint: cannot write the SQLite write-ahead log; stopping before it is read\n", stderr);
    std::abort();
  }
  Inner(self).xShmBarrier(self.inner);
}

// Forwards a file method to the default VFS's file; with kFlushFirst, after writing out what is gathered
// (every operation but a write must see the file whole).
template <bool kFlushFirst, auto kMethod>
struct FileForwarder;
template <bool kFlushFirst, typename R, typename... Args, R (*sqlite3_io_methods::*kMethod)(sqlite3_file*, Args...)>
struct FileForwarder<kFlushFirst, kMethod> {
  static R Call(sqlite3_file* file, Args... args) {
    GatheringFile& self = Self(file);
    if constexpr (kFlushFirst) {
      if (const int flushed = Flush(self); flushed != SQLITE_OK) return flushed;
    }
    return (Inner(self).*kMethod)(self.inner, args...);
  }
};
template <auto kMethod>
constexpr auto kFlushed = &FileForwarder<true, kMethod>::Call;
template <auto kMethod>
constexpr auto kDirect = &FileForwarder<false, kMethod>::Call;

constexpr sqlite3_io_methods kMethods = {
    .iVersion = 3,
    .xClose = Close,
    .xRead = kFlushed<&sqlite3_io_methods::xRead>,
    .xWrite = Write,
    .xTruncate = kFlushed<&sqlite3_io_methods::xTruncate>,
    .xSync = kFlushed<&sqlite3_io_methods::xSync>,
    .xFileSize = kFlushed<&sqlite3_io_methods::xFileSize>,
    .xLock = kFlushed<&sqlite3_io_methods::xLock>,
    .xUnlock = kFlushed<&sqlite3_io_methods::xUnlock>,
    .xCheckReservedLock = kDirect<&sqlite3_io_methods::xCheckReservedLock>,
    .xFileControl = kFlushed<&sqlite3_io_methods::xFileControl>,
    .xSectorSize = kDirect<&sqlite3_io_methods::xSectorSize>,
    .xDeviceCharacteristics = kDirect<&sqlite3_io_methods::xDeviceCharacteristics>,
    .xShmMap = kDirect<&sqlite3_io_methods::xShmMap>,
    .xShmLock = kDirect<&sqlite3_io_methods::xShmLock>,
    .xShmBarrier = ShmBarrier,
    .xShmUnmap = kDirect<&sqlite3_io_methods::xShmUnmap>,
    .xFetch = kFlushed<&sqlite3_io_methods::xFetch>,
    .xUnfetch = kDirect<&sqlite3_io_methods::xUnfetch>,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* inner = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kInnerOffset);
  const int code = InnerVfs(vfs)->xOpen(InnerVfs(vfs), name, inner, flags, out_flags);
  if (code != SQLITE_OK) {
    file->pMethods = nullptr;  // SQLite calls no method, not even xClose, on a file that failed to open
    return code;
  }
  const bool is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  // A WAL is opened by the connection whose database file SQLite hands back here, opened through this
  // VFS too.
  GatheringFile* database = is_wal ? &Self(sqlite3_database_file_object(name)) : nullptr;
  auto* self = new (file) GatheringFile{.base = {.pMethods = &kMethods},
                                        .inner = inner,
                                        .is_wal = is_wal,
                                        .wal = nullptr,
                                        .database = database,
                                        .written_end = -1,
                                        .page_next = false,
                                        .commit_page_next = false,
                                        .gathered_at = 0,
                                        .gathered = {}};
  if (database != nullptr) database->wal = self;
  return SQLITE_OK;
}

// Forwards a VFS method to the default VFS.
template <auto kMethod>
struct VfsForwarder;
template <typename R, typename... Args, R (*sqlite3_vfs::*kMethod)(sqlite3_vfs*, Args...)>
struct VfsForwarder<kMethod> {
  static R Call(sqlite3_vfs* vfs, Args... args) { return (InnerVfs(vfs)->*kMethod)(InnerVfs(vfs), args...); }
};
template <auto kMethod>
constexpr auto kForwarded = &VfsForwarder<kMethod>::Call;

const char* Register() {
  sqlite3_vfs* inner = sqlite3_vfs_find(nullptr);
  // Written against the unix VFS (file methods version 3, all system calls forwarded); elsewhere the
  // writes stay SQLite's own.
  if (inner == nullptr || inner->iVersion < 3 || std::string_view(inner->zName).substr(0, 4) != "unix") return nullptr;
  static sqlite3_vfs vfs = {
      .iVersion = 3,
      .szOsFile = static_cast<int>(kInnerOffset) + inner->szOsFile,
      .mxPathname = inner->mxPathname,
      .pNext = nullptr,
      .zName = kVfsName,
      .pAppData = inner,
      .xOpen = Open,
      .xDelete = kForwarded<&sqlite3_vfs::xDelete>,
      .xAccess = kForwarded<&sqlite3_vfs::xAccess>,
      .xFullPathname = kForwarded<&sqlite3_vfs::xFullPathname>,
      .xDlOpen = kForwarded<&sqlite3_vfs::xDlOpen>,
      .xDlError = kForwarded<&sqlite3_vfs::xDlError>,
      .xDlSym = kForwarded<&sqlite3_vfs::xDlSym>,
      .xDlClose = kForwarded<&sqlite3_vfs::xDlClose>,
      .xRandomness = kForwarded<&sqlite3_vfs::xRandomness>,
      .xSleep = kForwarded<&sqlite3_vfs::xSleep>,
      .xCurrentTime = kForwarded<&sqlite3_vfs::xCurrentTime>,
      .xGetLastError = kForwarded<&sqlite3_vfs::xGetLastError>,
      .xCurrentTimeInt64 = kForwarded<&sqlite3_vfs::xCurrentTimeInt64>,
      .xSetSystemCall = kForwarded<&sqlite3_vfs::xSetSystemCall>,
      .xGetSystemCall = kForwarded<&sqlite3_vfs::xGetSystemCall>,
      .xNextSystemCall = kForwarded<&sqlite3_vfs::xNextSystemCall>,
  };
  return sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK ? kVfsName : nullptr;
}

}  // namespace

const char* WalGatheringVfs() {
  static const char* const name = Register();
  return name;
}

}  // namespace tp::store
