#pragma once

#include "practice/accounts/session.hpp"
#include "practice/util/csv.hpp"

// `account import`: accounts with their contacts from one CSV (cli.md).
namespace practice::accounts {

struct ImportSummary {
  int accounts_created = 0;
  int accounts_existing = 0;
  int contacts_created = 0;
  int contacts_existing = 0;
  int assignments_created = 0;
};

// The columns a file may have: name (required), type, contact_name,
// contact_email, notify, portal, language, assigned (a staff email).
const std::vector<std::string>& import_columns();

// Imports `table` (its first record the header) inside the caller's write
// transaction. An account is found by its name among the active ones
// (case-insensitive) or added; a contact by its email in that account, or
// added; nothing found is changed, so a second run of the same file changes
// nothing. Throws InvalidInput (or the kind of the refusal) naming the line
// and column on the first bad value: the caller rolls back the whole file.
ImportSummary import_accounts(Session& s, const util::CsvTable& table);

} // namespace practice::accounts
