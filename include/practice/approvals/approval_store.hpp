#pragma once

#include "practice/approvals/model.hpp"
#include "practice/storage/database.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace practice::approvals {

struct ApprovalFilter {
  std::optional<int64_t> account_id;
  std::optional<Status> status;
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
  std::optional<int64_t> pending_for_document(int64_t document_id);

private:
  storage::Database& m_db;
};

} // namespace practice::approvals
