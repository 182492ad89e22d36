#pragma once

#include "db.hpp"

#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/directory.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/config/config.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/requests.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace practice::test {

// What the portal's tests share: an in-memory database with a firm (no staff,
// so staff sessions have open access), two accounts and their contacts, a
// link key and a file store in a temporary folder.
//   Smith: John (portal), Jane (portal)
//   Jones: Bob (portal), and "Johnny" with John's address (portal)
struct PortalFixture {
  std::unique_ptr<storage::Database> db = memory_db();
  config::Config config;
  std::filesystem::path dir;
  requests::Env env{config, "", "", 1024 * 1024, {}};
  util::TimePoint t0 = at("2026-03-01T09:00:00Z");
  accounts::Contact john, jane, bob, johnny;

  PortalFixture() {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("practice-portal-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    env.link_key_path = (dir / "key").string();
    env.files_root = (dir / "files").string();
    config.firm_email = "office@acme.test";
    auto s = staff();
    accounts::add_account(s, "Smith", accounts::AccountType::individual);
    accounts::add_account(s, "Jones", accounts::AccountType::company);
    john = accounts::add_contact(s, {"Smith", "John", "john@smith.test", true, true, {}});
    jane = accounts::add_contact(s, {"Smith", "Jane", "jane@smith.test", true, true, {}});
    bob = accounts::add_contact(s, {"Jones", "Bob", "bob@jones.test", true, true, {}});
    johnny = accounts::add_contact(s, {"Jones", "Johnny", "john@smith.test", false, true, {}});
  }
  ~PortalFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  PortalFixture(const PortalFixture&) = delete;
  PortalFixture& operator=(const PortalFixture&) = delete;

  accounts::Session staff(util::TimePoint now) { return accounts::make_session(*db, now, std::nullopt, "osuser"); }
  accounts::Session staff() { return staff(t0); }

  accounts::Session client(const accounts::Contact& c, util::TimePoint now) {
    return accounts::make_client_session(*db, now, {c.account_id, c.id, c.email});
  }
  accounts::Session client(const accounts::Contact& c) { return client(c, t0); }
  accounts::Session third_party(int64_t account_id, const std::string& email) {
    return accounts::make_client_session(*db, t0, {account_id, std::nullopt, email});
  }

  std::string key() const { return requests::load_or_create_link_key(env.link_key_path); }

  // A sent request to `account` with the given questions (a required text one
  // when none are given).
  requests::Request sent_request(const std::string& account, std::vector<requests::Question> questions = {},
                                 std::vector<std::string> to = {}, bool no_login = false) {
    auto s = staff();
    requests::NewRequest in;
    in.accounts = {account};
    in.title = "Documents for 2025";
    in.draft = true;
    in.to = std::move(to);
    in.no_login = no_login;
    const auto id = requests::create_requests(s, env, in).requests.front().id;
    if (questions.empty()) {
      requests::Question q;
      q.type = requests::QuestionType::text;
      q.prompt = "Your tax number";
      questions.push_back(q);
    }
    for (auto& q : questions) {
      requests::add_question(s, id, q);
    }
    requests::send_request(s, env, id);
    return requests::get_request(*db, id);
  }

  // A file of `content` in the temporary folder.
  std::string file(const std::string& name, const std::string& content) {
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // The audit rows of `item` with `action`, oldest first.
  std::vector<audit::AuditEntry> audit_rows(const std::string& item, const std::string& action) {
    audit::AuditFilter f;
    f.item = item;
    std::vector<audit::AuditEntry> out;
    for (auto& e : audit::AuditLog(*db).list(f)) {
      if (e.action == action) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }
};

inline nlohmann::json details_of(const audit::AuditEntry& e) { return nlohmann::json::parse(e.details); }

} // namespace practice::test
