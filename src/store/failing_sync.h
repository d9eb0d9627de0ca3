// Test support: a binary linked with tp_store_failing_sync has its own fdatasync, which the store's calls
// and SQLite's resolve to, so that a test can make syncs fail (EIO) the way they do on a disk with an I/O
// error; everything else stays the real store on a real file. Only for test binaries of their own: the
// replacement holds for the whole process.
//
//   FailSyncs(true);   // every fdatasync from now on fails
//   ...
//   FailSyncs(false);  // the real fdatasync again
#pragma once

namespace tp::store {

void FailSyncs(bool fail);

}  // namespace tp::store
