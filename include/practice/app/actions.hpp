#pragma once

#include "practice/accounts/session.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/requests/requests.hpp"

#include <optional>
#include <string>
#include <vector>

// The steps that cross modules when an item is finished, the same for the
// CLI (staff entering it, --by) and the portal (the client): save, audit,
// notify the firm, automove the linked jobs and run the next stages'
// automations. Each runs in the caller's unit of work (Workspace::write) and
// returns the mail it queued, for delivery after the commit.
namespace practice::app {

requests::Request save_answer(accounts::Session& s, const requests::Env& env, int64_t request_id,
                              const requests::AnswerInput& in);

// Submits (the required-answers check names what is missing), notifies the
// firm and moves on the jobs whose stage this finished.
requests::Outcome submit_request(accounts::Session& s, const requests::Env& env, int64_t id,
                                 const std::optional<std::string>& by);

// The firm marks a request done; linked jobs move on as for a submission.
requests::Outcome complete_request(accounts::Session& s, const requests::Env& env, int64_t id);

// Approves, notifies the firm, and moves on the jobs whose stage this finished.
approvals::Outcome approve(accounts::Session& s, const requests::Env& env, int64_t id,
                           const std::optional<std::string>& by);

// Disapproves with at least one reason; notifies the firm. Jobs stay: the
// firm fixes the document and asks again.
approvals::Outcome disapprove(accounts::Session& s, const requests::Env& env, int64_t id,
                              const std::vector<std::string>& reasons, const std::optional<std::string>& comment,
                              const std::optional<std::string>& by);

} // namespace practice::app
