// Test support: a fresh, migrated store per test on each backend that is available.
//
//   class MyTest : public ::testing::TestWithParam<std::string> {};   // the parameter is a backend name
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, ::testing::ValuesIn(tp::store::TestBackends()));
//   TEST_P(MyTest, Works) { tp::store::TestDatabase db(GetParam()); Store& store = db.store(); ... }
//
// "sqlite" is always available (a file in a temporary directory). "postgres" is listed when the
// environment variable TP_TEST_POSTGRES_URL names a PostgreSQL server on which the test may create
// databases (scripts/with-postgres.sh starts one); each TestDatabase creates its own database there and
// drops it afterwards. Without the variable the postgres cases are skipped, never silently passed:
// CI (scripts/run-tests.sh) always sets it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace tp::store {

std::vector<std::string> TestBackends();

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
