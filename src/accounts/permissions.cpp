#include "practice/accounts/permissions.hpp"

namespace practice::accounts {

bool may_manage_staff(const Staff& actor, Role target_role) {
  if (actor.role == Role::owner) {
    return true;
  }
  return actor.role == Role::admin && target_role != Role::owner;
}

bool may_work_on_account(const Staff& actor, bool assigned) {
  return actor.role == Role::owner || actor.role == Role::admin || actor.view_all_accounts ||
         assigned;
}

bool may_assign_staff(const Staff& actor) {
  return actor.role == Role::owner || actor.role == Role::admin;
}

bool may_edit_firm(const Staff& actor) { return actor.role == Role::owner || actor.role == Role::admin; }

} // namespace practice::accounts
