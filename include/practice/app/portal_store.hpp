#pragma once

#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace practice::app {

struct CodeRow {
  int64_t id = 0;
  std::string email;
  int64_t contact_id = 0;
  std::string nonce;
  util::TimePoint created_at;
  util::TimePoint expires_at;
  int tries_left = 0;
  std::string state;
};

struct SessionRow {
  std::string id_hash;
  int64_t contact_id = 0;
  int64_t account_id = 0;
  util::TimePoint last_seen_at;
  std::optional<util::TimePoint> ended_at;
};

// SQL for the portal's codes and sessions. Callers own the transactions.
class PortalStore {
public:
  explicit PortalStore(storage::Database& db) : m_db(db) {}

  // The newest code of this address, in any state.
  std::optional<CodeRow> latest_code(const std::string& email);
  std::optional<CodeRow> get_code(int64_t id);
  // Ends every open code of this address as 'replaced'.
  void replace_open_codes(const std::string& email);
  int64_t insert_code(const std::string& email, int64_t contact_id, int64_t account_id, const std::string& nonce,
                      util::TimePoint now, util::TimePoint expires_at, int tries);
  void set_code_state(int64_t id, int tries_left, const std::string& state);

  void insert_session(const std::string& id_hash, int64_t contact_id, int64_t account_id, util::TimePoint now);
  std::optional<SessionRow> get_session(const std::string& id_hash);
  void touch_session(const std::string& id_hash, util::TimePoint now);
  void end_session(const std::string& id_hash, util::TimePoint now);

private:
  storage::Database& m_db;
};

} // namespace practice::app
