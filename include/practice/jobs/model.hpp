#pragma once

#include "practice/accounts/model.hpp"
#include "practice/requests/model.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace practice::jobs {

struct Automation {
  int64_t id = 0;
  int64_t stage_id = 0;
  std::string template_name; // "send request from this template"
  std::optional<requests::Reminders> reminders; // none: the template's or the firm's
  std::optional<bool> login;
};

struct Stage {
  int64_t id = 0;
  int64_t pipeline_id = 0;
  std::string name;
  int position = 0; // 1-based
  bool automove = false;
  std::vector<Automation> automations;
};

struct Pipeline {
  int64_t id = 0;
  std::string name;
  util::TimePoint created_at;
  std::vector<Stage> stages; // in order
  int64_t job_count = 0;
};

enum class ItemState { waiting, done, cancelled };

// An action item linked to a job, as automove and "why hasn't it moved?" see it.
struct LinkedItem {
  std::string kind; // "request" (later "approval")
  int64_t id = 0;
  std::string title;
  std::string status;
  ItemState state = ItemState::waiting;
  int64_t stage_id = 0; // the stage the job was in when it was linked
  std::string stage_name;
  std::string waiting_for; // what the client (or firm) must do, for blockers
};

struct Job {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string account_name;
  int64_t pipeline_id = 0;
  std::string pipeline_name;
  int64_t stage_id = 0;
  std::string stage_name;
  std::string title;
  std::optional<accounts::Ref> assignee;
  std::optional<std::string> due_date;
  util::TimePoint created_at;
  util::TimePoint moved_at;
  std::optional<util::TimePoint> archived_at;
  std::vector<LinkedItem> items;
};

// A request's state for automove: submitted or completed is done. Pure.
ItemState request_item_state(requests::Status s);
// An approval's state for automove: approved is done; a disapproved one
// superseded by a newer approval (of the same document, or linked after it
// in the same stage) no longer counts. Pure.
ItemState approval_item_state(std::string_view status, bool superseded);
// What is awaited for a request in this status, in words. Pure.
// A draft with no recipients says why nobody was sent it (`login`: the
// request needs contacts with portal access).
std::string request_waiting_for(requests::Status s, int answered, int questions, int recipients = 1,
                                bool login = false);

// The items linked in `stage_id` that still hold the job back. Pure.
std::vector<LinkedItem> blockers(const std::vector<LinkedItem>& items, int64_t stage_id);

// Whether a job in `stage` moves on by itself now: automove is on, the stage
// is not the last, and at least one item is linked in it and every such item
// is done (cancelled ones do not count). An empty stage never moves. Pure.
bool should_automove(const Stage& stage, bool is_last, const std::vector<LinkedItem>& items);

} // namespace practice::jobs
