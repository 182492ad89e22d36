#pragma once

#include "practice/accounts/model.hpp"
#include "practice/accounts/session.hpp"
#include "practice/approvals/approval_store.hpp" // ApprovalFilter
#include "practice/approvals/model.hpp"
#include "practice/requests/requests.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

// Documents, the folders that decide what clients may see, and approvals.
// Every change checks permissions, saves, audits and queues its mail in the
// caller's transaction.
namespace practice::approvals {

Folder add_folder(accounts::Session& s, const std::string& name, bool client_can_view);
Folder edit_folder(accounts::Session& s, const std::string& name, bool client_can_view);
// The folders, by name.
std::vector<Folder> list_folders(storage::Database& db);
// The folder `ref` names (an id or name); throws NotFound.
Folder get_folder(storage::Database& db, std::string_view ref);

Document add_document(accounts::Session& s, const requests::Env& env, const std::string& account,
                      const std::string& path, const std::optional<std::string>& folder,
                      const std::optional<std::string>& description);
// Throws NotFound for a removed document too.
Document get_document(storage::Database& db, int64_t id);

struct DocumentChanges {
  std::optional<std::string> folder; // a folder's name or id; "" takes it out of its folder
  std::optional<std::string> description; // "" clears it
};
// Moves a document to another folder or changes its description, audited
// with what changed. The folder is refused (Conflict, naming the approval)
// while an approval of it is pending: the client is looking at it.
Document edit_document(accounts::Session& s, int64_t id, const DocumentChanges& in);
// Removes a document from lists and from clients (its content stays in the
// store for the records); refused while an approval of it is pending.
Document remove_document(accounts::Session& s, int64_t id);
// The documents of one account and one folder (nullopt: of all), newest first.
std::vector<Document> list_documents(storage::Database& db, std::optional<int64_t> account_id,
                                     std::optional<int64_t> folder_id);
// Copies the document's content to `to` (a new file); returns its size.
int64_t export_document(storage::Database& db, const requests::Env& env, const Document& d, const std::string& to);
// Where the document's content lives in the file store, to read or serve.
std::string document_path(storage::Database& db, const requests::Env& env, const Document& d);
// The document's name made safe to offer as a file name (storage::safe_file_name).
std::string document_file_name(const Document& d);

struct Outcome {
  std::vector<Approval> approvals;
  std::vector<int64_t> outbox_ids;
};

// Refused unless the document sits in a folder the client can view, or while
// an approval for it is pending.
Outcome request_approval(accounts::Session& s, const requests::Env& env, int64_t document_id,
                         const std::optional<std::string>& message, const requests::ReminderFlags& reminders);
Outcome approve(accounts::Session& s, const requests::Env& env, int64_t id, const std::optional<std::string>& by);
Outcome disapprove(accounts::Session& s, const requests::Env& env, int64_t id,
                   const std::vector<std::string>& reasons, const std::optional<std::string>& comment,
                   const std::optional<std::string>& by);
Approval cancel(accounts::Session& s, int64_t id);
// One more email per contact for each approval (`ids`), or for every pending
// one (of `account`); audited; does not use up automatic reminders.
Outcome resend(accounts::Session& s, const requests::Env& env, const std::optional<int64_t>& id,
               const std::optional<std::string>& account, const std::optional<std::string>& message);

Approval get_approval(storage::Database& db, int64_t id);
// The approvals `f` keeps, with their documents, most recently requested first.
std::vector<Approval> list_approvals(storage::Database& db, const ApprovalFilter& f);
// The same approvals in the same order, one at a time.
void each_approval(storage::Database& db, const ApprovalFilter& f, const std::function<void(const Approval&)>& fn);
// The accounts with an approval pending (account list --pending-approvals).
std::unordered_set<int64_t> accounts_with_pending_approvals(storage::Database& db);

// The live portal link of approval `id` for the contact `email`, put into
// their email at delivery, never stored; nullopt without [portal] base_url.
// `key` is the link key (requests::load_or_create_link_key), read once by the caller.
std::optional<std::string> contact_link(const requests::Env& env, const std::string& key, int64_t id,
                                        const std::string& email);

// What an approval link opens: the pending approval and the contact it was
// sent to, or nullopt when the token is malformed, forged, expired ([portal]
// link_expiry_days after the last email) or the approval is no longer
// pending (with LinkUse::view: is cancelled, so a client can still read
// their decision). Compares in constant time.
struct LinkTarget {
  Approval approval;
  accounts::Contact contact;
};
std::optional<LinkTarget> open_link(storage::Database& db, const requests::Env& env, const std::string& token,
                                    util::TimePoint now, requests::LinkUse use = requests::LinkUse::act);

// Queues `template_name` to the account's contacts with notify on.
std::vector<int64_t> notify_contacts(accounts::Session& s, const requests::Env& env, const Approval& a,
                                     const std::string& template_name, const std::string& dedupe_part,
                                     const std::optional<std::string>& message);

} // namespace practice::approvals
