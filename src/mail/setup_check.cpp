#include "practice/mail/setup_check.hpp"

#include <algorithm>

namespace practice::mail {

namespace {

// The last reply as `practice outbox` shows it; empty when nothing is known.
std::string reply_of(const OutboxRow& r) {
  std::string s = last_reply_text(r);
  return s == "-" ? std::string() : s;
}

bool temporary_reply(const OutboxRow& r) { return r.uncertain > 0 || (r.last_code && *r.last_code / 100 == 4); }

} // namespace

SetupCheck judge_test_delivery(const DeliveryReport& report, const std::vector<OutboxRow>& rows) {
  const auto sent = [](const OutboxRow& r) { return r.state == OutboxState::sent; };
  if (rows.empty() || std::any_of(rows.begin(), rows.end(), sent)) {
    return {SetupVerdict::works, {}};
  }
  if (report.stopped) {
    // The run stopped on the server's word (or after repeated connection
    // failures): that reason covers every message.
    return {report.stop_outcome == Outcome::stop_temp ? SetupVerdict::temporary : SetupVerdict::unavailable,
            report.stop_reason};
  }
  // A refusal of the message itself (5xx) is as final as a refused login.
  for (const auto& r : rows) {
    if (r.state == OutboxState::failed) {
      return {SetupVerdict::unavailable, reply_of(r)};
    }
  }
  for (const auto& r : rows) {
    if (temporary_reply(r)) {
      return {SetupVerdict::temporary, reply_of(r)};
    }
  }
  // No reply at all: the server was never reached.
  for (const auto& r : rows) {
    if (const std::string why = reply_of(r); !why.empty()) {
      return {SetupVerdict::unavailable, why};
    }
  }
  return {SetupVerdict::unavailable, "the mail server could not be reached"};
}

} // namespace practice::mail
