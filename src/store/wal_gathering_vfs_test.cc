#include "store/wal_gathering_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tp::store {
namespace {

// A connection through the raw C API, so the test controls the VFS and every setting.
class Database {
 public:
  Database(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
  }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void Run(const std::string& sql) {
    char* error = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(code, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    std::string text;
    if (sqlite3_step(statement) == SQLITE_ROW) text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return text;
  }

 private:
  sqlite3* db_ = nullptr;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tp_vfs_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `count` rows numbered from 1 with blobs of `bytes`.
std::string Rows(int count, int bytes) {
  return "WITH RECURSIVE k(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM k WHERE v < " + std::to_string(count) +
         ") INSERT INTO t (n, body) SELECT v, randomblob(" + std::to_string(bytes) + ") FROM k";
}

// What a connection that never used the gathering VFS sees.
std::string Summary(Database& database) {
  return database.Text("SELECT count(*) || ' ' || sum(length(body)) || ' ' || sum(n) FROM t") + " " +
         database.Text("PRAGMA integrity_check");
}

// Small transactions, one spilling past a tiny page cache (its pages are read back from the WAL and
// rewritten in place, and SQLite rewrites frame checksums at commit), and one larger than the gathering
// buffer. Every commit must be in the file before another connection reads it, and a copy of the files
// taken while the writer is still open (what a crash leaves) must recover all of them.
void WriteAndCheck(const std::string& synchronous) {
  const TempDir dir;
  const std::string path = dir.File("gather.db");
  ASSERT_NE(WalGatheringVfs(), nullptr);
  Database writer(path, WalGatheringVfs());
  writer.Run("PRAGMA journal_mode = WAL; PRAGMA synchronous = " + synchronous +
             "; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 20");
  writer.Run("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, body BLOB NOT NULL)");
  Database reader(path, nullptr);
  for (int i = 0; i < 50; ++i) {
    writer.Run("INSERT INTO t (n, body) VALUES (" + std::to_string(i) + ", randomblob(300))");
    EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), std::to_string(i + 1));
  }
  writer.Run("BEGIN; " + Rows(3000, 2000) +
             "; UPDATE t SET n = n + 1 WHERE id <= 60; UPDATE t SET body = randomblob(2100) WHERE id % 7 = 0; COMMIT");
  writer.Run(Rows(4000, 3000));
  const std::string expected = Summary(writer);
  EXPECT_EQ(Summary(reader), expected);
  EXPECT_NE(expected.find(" ok"), std::string::npos) << expected;

  const std::string copy = dir.File("copy.db");
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
  Database recovered(copy, nullptr);
  EXPECT_EQ(Summary(recovered), expected);
}

TEST(WalGatheringVfs, CommitsAreInTheFileBeforeOthersReadThemWithNormalSync) { WriteAndCheck("NORMAL"); }

// FULL pads the log to a sector boundary after each commit and splits writes at the sync point.
TEST(WalGatheringVfs, CommitsAreInTheFileBeforeOthersReadThemWithFullSync) { WriteAndCheck("FULL"); }

}  // namespace
}  // namespace tp::store
