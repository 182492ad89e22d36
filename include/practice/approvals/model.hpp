#pragma once

#include "practice/requests/model.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace practice::approvals {

struct Folder {
  int64_t id = 0;
  std::string name;
  bool client_can_view = false;
  util::TimePoint created_at;
};

struct Document {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string account_name;
  std::optional<int64_t> folder_id;
  std::optional<std::string> folder_name;
  bool client_can_view = false; // the folder's setting
  std::string name;
  std::optional<std::string> description;
  std::string sha256;
  int64_t size = 0;
  audit::Person uploaded_by;
  util::TimePoint uploaded_at;
  std::optional<util::TimePoint> removed_at; // set: gone from lists, shown and served to nobody
};

enum class Status { pending, approved, disapproved, cancelled };
std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view s);

struct Approval {
  int64_t id = 0;
  Document document;
  Status status = Status::pending;
  std::optional<std::string> message;
  requests::Reminders reminders;
  int reminders_sent = 0;
  std::optional<util::TimePoint> last_notified_at;
  audit::Person requested_by;
  util::TimePoint requested_at;
  std::optional<audit::Person> decided_by;
  std::optional<util::TimePoint> decided_at;
  std::vector<std::string> reasons;
  std::optional<std::string> comment;
  std::optional<util::TimePoint> cancelled_at;
};

} // namespace practice::approvals
