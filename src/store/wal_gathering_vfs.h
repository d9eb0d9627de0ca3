// A SQLite VFS that hands the kernel a commit's write-ahead-log frames in one write.
//
// SQLite appends each WAL frame with two write calls, its 24-byte header and then the page, so a
// commit of a few hundred pages costs hundreds of system calls: after its SQL, the largest cost of the
// ingestion writer. This VFS wraps the platform's default one and, for WAL files only, gathers such
// appends in memory and writes them out together:
//   - as soon as the page of a commit frame (a header whose "database size" field is set) is
//     gathered, before that write returns: the commit is in the file before SQLite publishes it to
//     other connections through the WAL index, and a failed write fails the commit;
//   - before any other operation on the file (read, sync, size, truncate, lock, file control, close),
//     so SQLite never observes the file without its own writes;
//   - at the memory barrier with which SQLite publishes a commit, should anything still be gathered;
//   - when the buffer is full.
// Writes of any other shape, and all other files (the database, journals), pass straight through.
#pragma once

namespace tp::store {

// The VFS's name for sqlite3_open_v2, registered on first use; nullptr (SQLite's default VFS) when
// the default is not the unix one this was written against.
const char* WalGatheringVfs();

}  // namespace tp::store
