#pragma once

#include "practice/accounts/model.hpp"

namespace practice::accounts {

// Owners manage all staff; admins manage admins and members. Pure.
bool may_manage_staff(const Staff& actor, Role target_role);

// Owners, admins, staff with "view all accounts" and staff assigned to the
// account may change it and link its items. Pure.
bool may_work_on_account(const Staff& actor, bool assigned);

// Owners and admins assign staff to accounts. Pure.
bool may_assign_staff(const Staff& actor);

// Owners and admins change the firm's own record (name, email). Pure.
bool may_edit_firm(const Staff& actor);

} // namespace practice::accounts
