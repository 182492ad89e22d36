#include "../support/db.hpp"

#include "practice/error.hpp"
#include "practice/storage/backup.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/util/sha256.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace practice;
using namespace practice::storage;
namespace fs = std::filesystem;

namespace {

struct Firm {
  fs::path dir;
  FirmPaths paths;
  explicit Firm(const std::string& name) {
    dir = fs::temp_directory_path() / ("practice-backup-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    paths = {(dir / "practice.db").string(), (dir / "practice.db.key").string(), (dir / "files").string()};
  }
  ~Firm() { fs::remove_all(dir); }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("a backup restores to the same database, key and files; a damaged one is refused", "[backup]") {
  Firm here("here");
  Firm there("there");
  const auto now = test::at("2026-12-01T10:00:00Z");
  {
    Database db(here.paths.db, OpenMode::create);
    apply_migrations(db);
    write(here.dir / "upload.pdf", "%PDF-1.4 content");
    {
      Transaction tx(db, TxMode::write);
      FileStore(here.paths.files_root, 1 << 20).put(db, (here.dir / "upload.pdf").string(), now);
      db.exec("INSERT INTO firm (id, name, created_at) VALUES (1, 'Acme', '2026-01-01T00:00:00Z')");
      tx.commit();
    }
    write(here.paths.key, std::string(32, 'k'));
    const auto archive = (here.dir / "firm.tar").string();
    const auto report = backup_firm(db, here.paths, archive, now);
    CHECK(report.files == 1);
    CHECK(report.schema_version == latest_schema_version());
    CHECK_THROWS_AS(backup_firm(db, here.paths, archive, now), Conflict);

    const auto restored = restore_firm(archive, there.paths, false);
    CHECK(restored.files == 1);
    CHECK(restored.created_at == now);
    CHECK(read(there.paths.key) == std::string(32, 'k'));
    const auto sha = *util::sha256_of_file((here.dir / "upload.pdf").string());
    CHECK(read(FileStore(there.paths.files_root, 0).path_of(sha)) == "%PDF-1.4 content");
    {
      Database copy(there.paths.db, OpenMode::existing);
      Statement s(copy, "SELECT name FROM firm");
      REQUIRE(s.step());
      CHECK(s.text(0) == "Acme");
    }
    CHECK_THROWS_AS(restore_firm(archive, there.paths, false), Conflict);
    CHECK_NOTHROW(restore_firm(archive, there.paths, true));

    // Cut in half: refused, and the firm there is as it was.
    const std::string whole = read(archive);
    write(here.dir / "cut.tar", whole.substr(0, whole.size() / 2));
    const std::string before = read(there.paths.db);
    CHECK_THROWS_WITH(restore_firm((here.dir / "cut.tar").string(), there.paths, true),
                      Catch::Contains("is not a practice backup"));
    CHECK(read(there.paths.db) == before);
    write(here.dir / "junk.tar", std::string(4096, 'x'));
    CHECK_THROWS_AS(restore_firm((here.dir / "junk.tar").string(), there.paths, true), InvalidInput);
  }
}

TEST_CASE("a backup without the link key is refused: its links would all die", "[backup]") {
  Firm here("nokey");
  Database db(here.paths.db, OpenMode::create);
  apply_migrations(db);
  CHECK_THROWS_AS(backup_firm(db, here.paths, (here.dir / "f.tar").string(), test::at("2026-12-01T10:00:00Z")),
                  NotFound);
  CHECK_FALSE(fs::exists(here.dir / "f.tar"));
}
