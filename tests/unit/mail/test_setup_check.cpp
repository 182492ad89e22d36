#include "practice/mail/setup_check.hpp"

#include <catch2/catch.hpp>

using namespace practice::mail;

namespace {

OutboxRow row(OutboxState state, std::optional<int64_t> code = std::nullopt, std::string reply = {},
              int64_t uncertain = 0) {
  OutboxRow r;
  r.state = state;
  r.last_code = code;
  if (!reply.empty()) {
    r.last_reply = std::move(reply);
  }
  r.uncertain = uncertain;
  return r;
}

} // namespace

TEST_CASE("a test delivery works when one message went out") {
  const DeliveryReport report;
  CHECK(judge_test_delivery(report, {row(OutboxState::sent, 250)}).verdict == SetupVerdict::works);
  CHECK(judge_test_delivery(report, {row(OutboxState::queued, 451, "try later"), row(OutboxState::sent, 250)})
            .verdict == SetupVerdict::works);
  CHECK(judge_test_delivery(report, {}).verdict == SetupVerdict::works);
}

TEST_CASE("a run the server stopped: TLS, login or sender refused is unavailable, 421 is temporary") {
  DeliveryReport report;
  report.stopped = true;
  report.stop_outcome = Outcome::stop_config;
  report.stop_reason = "STARTTLS not offered";
  const auto refused = judge_test_delivery(report, {row(OutboxState::queued)});
  CHECK(refused.verdict == SetupVerdict::unavailable);
  CHECK(refused.reason == "STARTTLS not offered");
  report.stop_outcome = Outcome::connection;
  CHECK(judge_test_delivery(report, {row(OutboxState::queued)}).verdict == SetupVerdict::unavailable);
  report.stop_outcome = Outcome::stop_temp;
  report.stop_reason = "421 too many connections";
  const auto busy = judge_test_delivery(report, {row(OutboxState::queued)});
  CHECK(busy.verdict == SetupVerdict::temporary);
  CHECK(busy.reason == "421 too many connections");
}

TEST_CASE("nothing sent and no stop: judged by what the rows recorded") {
  const DeliveryReport report;
  // No server at the address: no reply code at all.
  const auto down = judge_test_delivery(report, {row(OutboxState::queued, std::nullopt, "Couldn't connect to server")});
  CHECK(down.verdict == SetupVerdict::unavailable);
  CHECK(down.reason == "Couldn't connect to server");
  CHECK(judge_test_delivery(report, {row(OutboxState::queued)}).reason == "the mail server could not be reached");
  // A 4xx, or a final reply lost after the data went out: try again later.
  const auto later = judge_test_delivery(report, {row(OutboxState::queued, 451, "451 4.3.0 try again later")});
  CHECK(later.verdict == SetupVerdict::temporary);
  CHECK(later.reason == "451 4.3.0 try again later");
  CHECK(judge_test_delivery(report, {row(OutboxState::queued, 354, "", 1)}).verdict == SetupVerdict::temporary);
  // A 5xx refusal of the message is final, whatever else happened.
  const auto refused = judge_test_delivery(
      report, {row(OutboxState::queued, 451, "451 later"), row(OutboxState::failed, 554, "554 5.7.1 rejected by policy")});
  CHECK(refused.verdict == SetupVerdict::unavailable);
  CHECK(refused.reason == "554 5.7.1 rejected by policy");
}
