#include "practice/jobs/model.hpp"

#include <fmt/format.h>

namespace practice::jobs {

ItemState request_item_state(requests::Status s) {
  switch (s) {
  case requests::Status::submitted:
  case requests::Status::completed:
    return ItemState::done;
  case requests::Status::cancelled:
    return ItemState::cancelled;
  default:
    return ItemState::waiting;
  }
}

ItemState approval_item_state(std::string_view status, bool superseded) {
  if (status == "approved") {
    return ItemState::done;
  }
  if (status == "cancelled" || (status == "disapproved" && superseded)) {
    return ItemState::cancelled;
  }
  return ItemState::waiting;
}

std::string request_waiting_for(requests::Status s, int answered, int questions, int recipients, bool login) {
  switch (s) {
  case requests::Status::draft:
    if (recipients == 0) {
      return login ? "the firm to send it: no contact of the account has notify on and portal access"
                   : "the firm to send it: no contact of the account has notify on";
    }
    return "the firm to send it";
  case requests::Status::pending:
    return fmt::format("the client to answer ({} questions)", questions);
  case requests::Status::in_progress:
    return fmt::format("the client to finish and submit ({}/{} answered)", answered, questions);
  default:
    return "nothing";
  }
}

std::vector<LinkedItem> blockers(const std::vector<LinkedItem>& items, int64_t stage_id) {
  std::vector<LinkedItem> out;
  for (const auto& i : items) {
    if (i.stage_id == stage_id && i.state == ItemState::waiting) {
      out.push_back(i);
    }
  }
  return out;
}

bool should_automove(const Stage& stage, bool is_last, const std::vector<LinkedItem>& items) {
  if (!stage.automove || is_last) {
    return false;
  }
  bool any = false;
  for (const auto& i : items) {
    if (i.stage_id != stage.id || i.state == ItemState::cancelled) {
      continue;
    }
    if (i.state != ItemState::done) {
      return false;
    }
    any = true;
  }
  return any;
}

} // namespace practice::jobs
