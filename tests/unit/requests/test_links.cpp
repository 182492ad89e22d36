#include "../support/db.hpp"

#include "practice/error.hpp"
#include "practice/requests/link_key_store.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/requests.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

using namespace practice;
using namespace practice::requests;

namespace {

struct KeyFixture {
  std::unique_ptr<storage::Database> db = test::memory_db();
  config::Config config;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("practice-key-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  Env env{config, "", "", 1024, {}};

  KeyFixture() {
    std::filesystem::create_directories(dir);
    env.link_key_path = (dir / "key").string();
  }
  ~KeyFixture() { std::filesystem::remove_all(dir); }

  void write_key(const std::string& path, const std::string& key) {
    std::ofstream(path, std::ios::binary) << key;
    ::chmod(path.c_str(), 0600);
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("a key's fingerprint is fixed, differs between keys, and is neither the key nor any link's MAC") {
  const std::string a(32, 'a');
  const std::string b(32, 'b');
  const std::string fa = link_key_fingerprint(a);
  CHECK(fa.size() == 64);
  CHECK(fa == link_key_fingerprint(a));
  CHECK(fa != link_key_fingerprint(b));
  CHECK(fa.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(fa.find(a) == std::string::npos);
  // Not the MAC of any link under the same key.
  CHECK(link_token(a, 1, 1, "x@y.test", 1).find(fa) == std::string::npos);
  CHECK(approval_link_token(a, 1, "x@y.test").find(fa) == std::string::npos);
}

TEST_CASE("read_link_key never makes a key; load_or_create_link_key does") {
  KeyFixture f;
  CHECK_FALSE(read_link_key(f.env.link_key_path));
  CHECK_FALSE(std::filesystem::exists(f.env.link_key_path));
  const std::string made = load_or_create_link_key(f.env.link_key_path);
  CHECK(made.size() == 32);
  CHECK(read_link_key(f.env.link_key_path) == made);
}

TEST_CASE("the first key used records its fingerprint; the same key passes after") {
  KeyFixture f;
  CHECK_FALSE(LinkKeyStore(*f.db).fingerprint());
  const std::string key = link_key(*f.db, f.env);
  CHECK(LinkKeyStore(*f.db).fingerprint() == link_key_fingerprint(key));
  CHECK(link_key(*f.db, f.env) == key);
}

TEST_CASE("a firm made before fingerprints records its existing key's the first time it is used") {
  KeyFixture f;
  const std::string old(32, 'k');
  f.write_key(f.env.link_key_path, old);
  CHECK(link_key(*f.db, f.env) == old);
  CHECK(LinkKeyStore(*f.db).fingerprint() == link_key_fingerprint(old));
}

TEST_CASE("with a fingerprint kept, a missing key file is refused and not made") {
  KeyFixture f;
  link_key(*f.db, f.env);
  std::filesystem::remove(f.env.link_key_path);
  const auto why = error_of([&] { link_key(*f.db, f.env); });
  CHECK(why.find(f.env.link_key_path + " is missing") != std::string::npos);
  CHECK(why.find("copy it") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(f.env.link_key_path));
}

TEST_CASE("a key whose fingerprint differs is refused") {
  KeyFixture f;
  link_key(*f.db, f.env);
  std::filesystem::remove(f.env.link_key_path);
  f.write_key(f.env.link_key_path, std::string(32, 'z'));
  const auto why = error_of([&] { link_key(*f.db, f.env); });
  CHECK(why.find("is not this firm's") != std::string::npos);
  // A recorded fingerprint is never replaced by another's.
  const std::string foreign = link_key_fingerprint(std::string(32, 'z'));
  CHECK(LinkKeyStore(*f.db).record(foreign) != foreign);
}

TEST_CASE("a key held by a long-running holder is used as it is") {
  KeyFixture f;
  f.env.link_key = std::make_shared<const std::string>(std::string(32, 'h'));
  CHECK(link_key(*f.db, f.env) == std::string(32, 'h'));
  CHECK_FALSE(LinkKeyStore(*f.db).fingerprint());
}
