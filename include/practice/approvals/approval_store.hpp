#pragma once

#include "practice/approvals/model.hpp"
#include "practice/storage/database.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace practice::approvals {

struct ApprovalFilter {
  std::optional<int64_t> account_id;
  std::optional<Status> status;
  std::optional<int64_t> job_id; // linked to this job
};

// SQL for folders, documents and approvals.
class ApprovalStore {
public:
  explicit ApprovalStore(storage::Database& db) : m_db(db) {}

  int64_t insert_folder(std::string_view name, bool client_can_view, util::TimePoint now);
  void set_folder_visibility(int64_t id, bool client_can_view);
  std::vector<Folder> list_folders();
  Folder resolve_folder(std::string_view ref);

  int64_t insert_document(const Document& d);
  std::optional<Document> get_document(int64_t id); // removed ones too (removed_at set)
  void update_document(const Document& d);           // its folder and description
  void remove_document(int64_t id, util::TimePoint at);
  std::vector<Document> list_documents(std::optional<int64_t> account_id, std::optional<int64_t> folder_id);

  int64_t insert_approval(const Approval& a);
  void update_approval(const Approval& a);
  std::optional<Approval> get_approval(int64_t id);
  std::vector<Approval> list_approvals(const ApprovalFilter& f);
  // The same approvals in the same order, one at a time.
  void each_approval(const ApprovalFilter& f, const std::function<void(const Approval&)>& fn);
  // The statement list_approvals() and each_approval() run for `f`: only the
  // conditions `f` sets (for the query-plan tests).
  static std::string list_sql(const ApprovalFilter& f);
  // The accounts with an approval pending.
  std::unordered_set<int64_t> accounts_with_pending();
  // Read from approvals_account (account_id, status) alone, in its order:
  // the unary + keeps SQLite from looking the pending ones up through
  // approvals_status instead, one table row each.
  static constexpr std::string_view k_accounts_with_pending_sql =
      "SELECT DISTINCT account_id FROM approvals WHERE status || '' = 'pending'"; // not through approvals_status: the account index reads less
  std::optional<int64_t> pending_for_document(int64_t document_id);

private:
  storage::Database& m_db;
};

} // namespace practice::approvals
