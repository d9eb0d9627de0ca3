#include "store/testing.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

namespace tp::store {
namespace {

constexpr char kPostgresUrlVariable[] = "TP_TEST_POSTGRES_URL";

struct PgConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct PgResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};

std::string PostgresServerUrl() {
  const char* url = std::getenv(kPostgresUrlVariable);
  return url != nullptr ? url : "";
}

// CREATE DATABASE and DROP DATABASE cannot run inside a transaction, so they go straight through libpq
// to the server's maintenance database instead of through a Store.
Status RunOnServer(const std::string& sql) {
  const std::unique_ptr<PGconn, PgConnectionCloser> connection(PQconnectdb(PostgresServerUrl().c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return Unavailable(std::string("cannot connect to ") + kPostgresUrlVariable + ": " +
                       PQerrorMessage(connection.get()));
  }
  const std::unique_ptr<PGresult, PgResultClearer> result(PQexec(connection.get(), sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return Internal(sql + ": " + PQerrorMessage(connection.get()));
  }
  return Status::Ok();
}

// The URL of `database` on the server `server_url` names, e.g.
// "postgresql://u@127.0.0.1:5432/postgres?sslmode=disable" -> "postgresql://u@127.0.0.1:5432/DB?sslmode=disable".
Result<std::string> WithDatabase(std::string_view server_url, std::string_view database) {
  const size_t scheme_end = server_url.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidArgument(std::string(kPostgresUrlVariable) + " must be a postgresql:// URL");
  }
  const size_t authority = scheme_end + 3;
  const size_t query = std::min(server_url.find('?', authority), server_url.size());
  const size_t path = std::min(server_url.find('/', authority), query);
  return std::string(server_url.substr(0, path)) + "/" + std::string(database) +
         std::string(server_url.substr(query));
}

// Lower-case hex, so the name needs no quoting in SQL.
std::string RandomDatabaseName() {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::random_device random;
  const std::uint64_t bits = (std::uint64_t{random()} << 32) | random();
  std::string name = "tp_test_";
  for (int shift = 60; shift >= 0; shift -= 4) name += kHexDigits[(bits >> shift) & 0xf];
  return name;
}

Result<std::string> MakeTemporaryDirectory() {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) return Unavailable("no temporary directory: " + error.message());
  std::string pattern = (base / "tp_test_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return Unavailable("mkdtemp: " + std::string(std::strerror(errno)));
  return pattern;
}

Result<std::unique_ptr<Store>> OpenMigrated(const std::string& url) {
  TP_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(url));
  TP_RETURN_IF_ERROR(store->Migrate());
  return store;
}

// Releases whatever a TestDatabase holds, however far its construction got.
void Discard(std::unique_ptr<Store>& store, const std::string& directory, const std::string& database_name) {
  if (store != nullptr) {
    store->Close();
    store.reset();
  }
  if (!directory.empty()) {
    std::error_code error;
    std::filesystem::remove_all(directory, error);
    if (error) ADD_FAILURE() << "cannot remove " << directory << ": " << error.message();
  }
  if (!database_name.empty()) {
    const Status dropped = RunOnServer("DROP DATABASE IF EXISTS " + database_name + " WITH (FORCE)");
    if (!dropped.ok()) ADD_FAILURE() << dropped.ToString();
  }
}

// ASSERT_* cannot stop a test from inside a constructor, and carrying on would dereference a store that
// does not exist. GoogleTest records an exception escaping a test (or its fixture's constructor) as a
// fatal failure of that test and goes on with the next one.
[[noreturn]] void FailTest(const std::string& what, const Status& status) {
  throw std::runtime_error("TestDatabase: " + what + ": " + status.ToString());
}

// GTEST_SKIP returns from the function it is used in, so it needs one of its own.
void SkipTest(const std::string& reason) { GTEST_SKIP() << reason; }

}  // namespace

std::vector<std::string> TestBackends() { return {"sqlite", "postgres"}; }

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TestDatabase::TestDatabase(const std::string& backend) : backend_(backend) {
  const Status status = [this]() -> Status {
    if (backend_ == "sqlite") {
      TP_ASSIGN_OR_RETURN(directory_, MakeTemporaryDirectory());
      url_ = "sqlite:" + directory_ + "/test.db";
    } else if (backend_ == "postgres" && PostgresServerUrl().empty()) {
      // GoogleTest does not run a test whose fixture's constructor skipped it, but the constructor goes
      // on after the skip: it gets a SQLite stand-in to talk to instead of a store that does not exist.
      SkipTest(std::string("no PostgreSQL server: set ") + kPostgresUrlVariable +
               " (scripts/with-postgres.sh starts one) to run the postgres cases");
      TP_ASSIGN_OR_RETURN(directory_, MakeTemporaryDirectory());
      url_ = "sqlite:" + directory_ + "/stand-in.db";
    } else if (backend_ == "postgres") {
      const std::string server_url = PostgresServerUrl();
      const std::string name = RandomDatabaseName();
      TP_ASSIGN_OR_RETURN(url_, WithDatabase(server_url, name));
      TP_RETURN_IF_ERROR(RunOnServer("CREATE DATABASE " + name));
      database_name_ = name;
    } else {
      return InvalidArgument("unknown test backend \"" + backend_ + "\"");
    }
    TP_ASSIGN_OR_RETURN(store_, OpenMigrated(url_));
    return Status::Ok();
  }();
  if (!status.ok()) {
    // The destructor does not run when the constructor throws.
    Discard(store_, directory_, database_name_);
    FailTest("cannot create a " + backend_ + " database", status);
  }
}

TestDatabase::~TestDatabase() { Discard(store_, directory_, database_name_); }

void TestDatabase::Reopen() {
  store_->Close();
  store_.reset();
  Result<std::unique_ptr<Store>> reopened = OpenStore(url_);
  if (!reopened.ok()) FailTest("cannot reopen the " + backend_ + " database", reopened.status());
  store_ = std::move(reopened).value();
}

}  // namespace tp::store
