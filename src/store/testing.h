// Test support: a fresh, migrated store per test on each backend.
//
//   class MyTest : public ::testing::TestWithParam<std::string> {   // the parameter is a backend name
//    protected:
//     tp::store::TestDatabase db_{GetParam()};
//   };
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, ::testing::ValuesIn(tp::store::TestBackends()));
//   TEST_P(MyTest, Works) { Store& store = db_.store(); ... }
//
// TestBackends() is {"sqlite", "postgres"}. "sqlite" is a file in a temporary directory. "postgres" needs
// the environment variable TP_TEST_POSTGRES_URL naming a PostgreSQL server on which the test may create
// databases (scripts/with-postgres.sh starts one); each TestDatabase creates its own database there and
// drops it afterwards. Without the variable, a postgres TestDatabase reports its test as skipped, with a
// message naming the variable, so plain `ctest` lists those cases as skipped instead of leaving them out;
// CI (scripts/run-tests.sh) always sets it. Construct the TestDatabase in the fixture (its constructor or
// members), not in the test body: GoogleTest stops a test only when the fixture's constructor skips it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace tp::store {

std::vector<std::string> TestBackends();

// Polls `condition` every millisecond until it holds (true) or `timeout` has passed (false): for tests that
// wait for another thread, so that their outcome depends on what happened, not on how long they slept.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(30));

class TestDatabase {
 public:
  // Creates an empty database on `backend`, opens it and applies all migrations. A failure is
  // reported with a GoogleTest fatal failure in the constructor's caller.
  explicit TestDatabase(const std::string& backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Store& store() { return *store_; }
  // The URL OpenStore() accepts for this database, e.g. to open a second store on it.
  const std::string& url() const { return url_; }
  // Closes and reopens the store on the same database (durability tests).
  void Reopen();

 private:
  std::string backend_;
  std::string url_;
  std::string directory_;       // sqlite: the temporary directory
  std::string database_name_;   // postgres: the database to drop
  std::unique_ptr<Store> store_;
};

}  // namespace tp::store
