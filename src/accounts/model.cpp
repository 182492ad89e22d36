#include "practice/accounts/model.hpp"

#include "practice/util/strings.hpp"

#include <algorithm>

namespace practice::accounts {

std::string_view to_string(Role role) {
  switch (role) {
  case Role::owner:
    return "owner";
  case Role::admin:
    return "admin";
  case Role::member:
    return "member";
  }
  return "member";
}

std::optional<Role> parse_role(std::string_view s) {
  for (const auto r : {Role::owner, Role::admin, Role::member}) {
    if (to_string(r) == s) {
      return r;
    }
  }
  return std::nullopt;
}

std::string_view to_string(AccountType type) {
  return type == AccountType::company ? "company" : "individual";
}

std::optional<AccountType> parse_account_type(std::string_view s) {
  if (s == "individual" || s == "person") {
    return AccountType::individual;
  }
  if (s == "company" || s == "business") {
    return AccountType::company;
  }
  return std::nullopt;
}

const std::vector<std::string>& client_languages() {
  static const std::vector<std::string> k_languages{"en", "pt", "ro", "it"};
  return k_languages;
}

std::optional<std::string> parse_language(std::string_view s) {
  const std::string code = util::to_lower(util::trim(s));
  const auto& all = client_languages();
  if (std::find(all.begin(), all.end(), code) == all.end()) {
    return std::nullopt;
  }
  return code;
}

} // namespace practice::accounts
