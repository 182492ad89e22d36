#include "practice/app/actions.hpp"

#include "practice/jobs/jobs.hpp"

namespace practice::app {

namespace {

void append(std::vector<int64_t>& to, const std::vector<int64_t>& more) { to.insert(to.end(), more.begin(), more.end()); }

} // namespace

requests::Request save_answer(accounts::Session& s, const requests::Env& env, int64_t request_id,
                              const requests::AnswerInput& in) {
  return requests::answer(s, env, request_id, in);
}

requests::Outcome submit_request(accounts::Session& s, const requests::Env& env, int64_t id,
                                 const std::optional<std::string>& by) {
  auto done = requests::submit(s, env, id, by);
  append(done.outbox_ids, jobs::on_item_done(s, env, "request", id, "submitted"));
  return done;
}

requests::Outcome complete_request(accounts::Session& s, const requests::Env& env, int64_t id) {
  requests::complete(s, id);
  requests::Outcome out;
  out.outbox_ids = jobs::on_item_done(s, env, "request", id, "completed");
  out.requests.push_back(requests::get_request(s.db, id));
  return out;
}

approvals::Outcome approve(accounts::Session& s, const requests::Env& env, int64_t id,
                           const std::optional<std::string>& by) {
  auto done = approvals::approve(s, env, id, by);
  append(done.outbox_ids, jobs::on_item_done(s, env, "approval", id, "approved"));
  return done;
}

approvals::Outcome disapprove(accounts::Session& s, const requests::Env& env, int64_t id,
                              const std::vector<std::string>& reasons, const std::optional<std::string>& comment,
                              const std::optional<std::string>& by) {
  return approvals::disapprove(s, env, id, reasons, comment, by);
}

} // namespace practice::app
