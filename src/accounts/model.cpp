#include "practice/accounts/model.hpp"

#include "practice/i18n/catalogue.hpp"

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

const std::vector<std::string>& client_languages() { return i18n::languages(); }

std::optional<std::string> parse_language(std::string_view s) { return i18n::parse_language(s); }

std::string firm_language(const std::optional<Firm>& firm, const std::optional<std::string>& configured) {
  if (firm && firm->language) {
    return *firm->language;
  }
  return configured.value_or("en");
}

} // namespace practice::accounts
