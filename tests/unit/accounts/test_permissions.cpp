#include "practice/accounts/permissions.hpp"

#include <catch2/catch.hpp>

using namespace practice::accounts;

namespace {
Staff with(Role r, bool view_all = false) {
  Staff s;
  s.role = r;
  s.view_all_accounts = view_all;
  return s;
}
} // namespace

TEST_CASE("owners manage everyone, admins all but owners, members no one") {
  CHECK(may_manage_staff(with(Role::owner), Role::owner));
  CHECK(may_manage_staff(with(Role::admin), Role::member));
  CHECK(may_manage_staff(with(Role::admin), Role::admin));
  CHECK_FALSE(may_manage_staff(with(Role::admin), Role::owner));
  CHECK_FALSE(may_manage_staff(with(Role::member, true), Role::member));
}

TEST_CASE("who may work on an account") {
  CHECK(may_work_on_account(with(Role::owner), false));
  CHECK(may_work_on_account(with(Role::admin), false));
  CHECK(may_work_on_account(with(Role::member, true), false));
  CHECK(may_work_on_account(with(Role::member), true));
  CHECK_FALSE(may_work_on_account(with(Role::member), false));
}

TEST_CASE("only owners and admins assign staff") {
  CHECK(may_assign_staff(with(Role::owner)));
  CHECK(may_assign_staff(with(Role::admin)));
  CHECK_FALSE(may_assign_staff(with(Role::member, true)));
}

TEST_CASE("owners and admins change the firm's record; members do not, even with view all") {
  CHECK(may_edit_firm(with(Role::owner)));
  CHECK(may_edit_firm(with(Role::admin)));
  CHECK_FALSE(may_edit_firm(with(Role::member)));
  CHECK_FALSE(may_edit_firm(with(Role::member, true)));
}
