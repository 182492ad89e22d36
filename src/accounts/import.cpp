#include "practice/accounts/import.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace practice::accounts {

namespace {

enum Column { name, type, contact_name, contact_email, notify, portal, language, assigned, count };

// Where a value came from, for the message: "line 4, column 3 (contact_email)".
struct Cell {
  int line = 0;
  int column = 0; // from 1; 0: the column is not in the file
  std::string header;
  std::string value;

  std::string where() const {
    return column > 0 ? fmt::format("line {}, column {} ({})", line, column, header) : fmt::format("line {}", line);
  }
  [[noreturn]] void fail(const std::string& why, const std::string& hint = {}) const {
    throw InvalidInput(fmt::format("{}: {}", where(), why), hint);
  }
};

// Runs `f`; a refusal from inside it is rethrown of the same kind, prefixed with the cell.
template <typename F> auto at(const Cell& c, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", c.where(), e.what()), e.hint());
  }
}

std::optional<bool> flag(const Cell& c) {
  if (util::trim(c.value).empty()) {
    return std::nullopt;
  }
  const auto v = util::parse_switch(util::trim(c.value));
  if (!v) {
    c.fail(fmt::format("\"{}\" is not yes or no", c.value), "write yes or no (or true/false, 1/0), or leave it empty");
  }
  return v;
}

} // namespace

const std::vector<std::string>& import_columns() {
  static const std::vector<std::string> k_columns{"name",   "type",     "contact_name", "contact_email",
                                                  "notify", "portal",   "language",     "assigned"};
  return k_columns;
}

ImportSummary import_accounts(Session& s, const util::CsvTable& table) {
  if (table.records.empty()) {
    throw InvalidInput("the file is empty: it needs a header row and a row per contact",
                       fmt::format("the columns are {}", fmt::join(import_columns(), ", ")));
  }
  const auto& header = table.records.front();
  std::array<int, Column::count> index{};
  index.fill(-1);
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string h = util::to_lower(util::trim(header.fields[i]));
    const Cell cell{header.line, static_cast<int>(i + 1), h, header.fields[i]};
    const auto& names = import_columns();
    const auto known = std::find(names.begin(), names.end(), h);
    if (known == names.end()) {
      cell.fail(fmt::format("there is no column \"{}\"", header.fields[i]),
                fmt::format("the columns are {}", fmt::join(names, ", ")));
    }
    const auto k = static_cast<size_t>(known - names.begin());
    if (index[k] >= 0) {
      cell.fail(fmt::format("the column \"{}\" is there twice", h));
    }
    index[k] = static_cast<int>(i);
  }
  if (index[Column::name] < 0) {
    throw InvalidInput(fmt::format("line {}: the header has no column \"name\"", header.line),
                       fmt::format("the columns are {}; name is required", fmt::join(import_columns(), ", ")));
  }

  ImportSummary out;
  AccountStore accounts(s.db);
  ContactStore contacts(s.db);
  std::set<int64_t> created_here; // accounts this file added
  std::set<int64_t> seen_existing;
  std::set<std::pair<int64_t, std::string>> contacts_seen; // (account, lower-case email) counted once
  for (size_t r = 1; r < table.records.size(); ++r) {
    const auto& record = table.records[r];
    if (record.fields.size() > header.fields.size()) {
      throw InvalidInput(fmt::format("line {}: {} fields, but the header has {} columns", record.line,
                                     record.fields.size(), header.fields.size()),
                         "quote a value that has the delimiter in it");
    }
    const auto cell = [&](Column c) {
      const int i = index[c];
      Cell out_cell{record.line, i + 1, import_columns()[static_cast<size_t>(c)], ""};
      if (i >= 0 && static_cast<size_t>(i) < record.fields.size()) {
        out_cell.value = record.fields[static_cast<size_t>(i)];
      }
      return out_cell;
    };
    const Cell name_cell = cell(Column::name);
    const std::string account_name(util::trim(name_cell.value));
    if (account_name.empty()) {
      name_cell.fail("an account needs a name");
    }
    const Cell type_cell = cell(Column::type);
    std::optional<AccountType> account_type;
    if (!util::trim(type_cell.value).empty()) {
      account_type = parse_account_type(util::to_lower(util::trim(type_cell.value)));
      if (!account_type) {
        type_cell.fail(fmt::format("\"{}\" is not an account type", type_cell.value), "use individual or company");
      }
    }
    std::optional<Account> account = accounts.active_named(account_name);
    if (account) {
      if (created_here.count(account->id) == 0 && seen_existing.insert(account->id).second) {
        ++out.accounts_existing;
      }
    } else {
      account = at(name_cell, [&] {
        return add_account(s, account_name, account_type.value_or(AccountType::individual), Duplicate::refuse);
      });
      created_here.insert(account->id);
      ++out.accounts_created;
    }

    const Cell email_cell = cell(Column::contact_email);
    const Cell contact_cell = cell(Column::contact_name);
    const std::string email(util::trim(email_cell.value));
    const auto notify_value = flag(cell(Column::notify));
    const auto portal_value = flag(cell(Column::portal));
    const Cell language_cell = cell(Column::language);
    if (email.empty()) {
      if (!util::trim(contact_cell.value).empty()) {
        email_cell.fail(fmt::format("the contact {} needs an email", util::trim(contact_cell.value)));
      }
    } else if (const auto existing = contacts.find_by_email(account->id, email)) {
      if (contacts_seen.insert({account->id, util::to_lower(email)}).second) {
        ++out.contacts_existing;
      }
    } else {
      NewContact in;
      in.account = std::to_string(account->id);
      const std::string contact_name(util::trim(contact_cell.value));
      in.name = contact_name.empty() ? account->name : contact_name; // an individual is their own contact
      in.email = email;
      in.notify = notify_value.value_or(true);
      in.portal = portal_value.value_or(false);
      if (!util::trim(language_cell.value).empty()) {
        in.language = parse_language(language_cell.value);
        if (!in.language) {
          language_cell.fail(fmt::format("practice does not write client text in \"{}\"", language_cell.value),
                             fmt::format("use one of {}, or leave it empty for the firm's",
                                         i18n::languages_text()));
        }
      }
      at(email_cell, [&] { return add_contact(s, in); });
      contacts_seen.insert({account->id, util::to_lower(email)});
      ++out.contacts_created;
    }

    const Cell assigned_cell = cell(Column::assigned);
    const std::string staff(util::trim(assigned_cell.value));
    if (!staff.empty()) {
      const bool already = at(assigned_cell, [&] {
        return accounts.is_assigned(account->id, get_staff(s.db, staff).id);
      });
      if (!already) {
        at(assigned_cell, [&] { return assign_staff(s, std::to_string(account->id), staff, Assign::assign); });
        ++out.assignments_created;
      }
    }
  }
  return out;
}

} // namespace practice::accounts
