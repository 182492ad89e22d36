#include "practice/config/config.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/mail/smtp_stages.hpp"
#include "practice/mail/smtp_transport.hpp"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <catch2/catch.hpp>

using namespace practice::mail;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point t0{};

// A whole conversation on a new connection, up to the final dot, at one
// second a step.
SmtpStageClock talked_up_to_the_dot() {
  SmtpStageClock c(SmtpTimeouts{}, t0);
  c.connected(t0 + 1s);
  c.received("220 relay.test ESMTP", t0 + 2s);
  c.sent("EHLO acme.test", t0 + 3s);
  c.received("250-relay.test", t0 + 4s);
  c.received("250 SIZE 10000000", t0 + 4s);
  c.sent("MAIL FROM:<office@acme.test> SIZE=120", t0 + 5s);
  c.received("250 OK", t0 + 6s);
  c.sent("RCPT TO:<maria@ionescu.test>", t0 + 7s);
  c.received("250 OK", t0 + 8s);
  c.sent("DATA", t0 + 9s);
  c.received("354 go ahead", t0 + 10s);
  c.data_moved(t0 + 11s);
  c.data_done(t0 + 12s);
  return c;
}

} // namespace

TEST_CASE("the defaults are RFC 5321's per-stage timeouts", "[smtp]") {
  const SmtpTimeouts t;
  CHECK(t.greeting == 300s);
  CHECK(t.command == 300s);
  CHECK(t.data_start == 120s);
  CHECK(t.data_block == 180s);
  CHECK(t.final_reply == 600s);
  CHECK(t.longest_reply() == 600s);
  SmtpTimeouts short_final;
  short_final.final_reply = 30s;
  CHECK(short_final.longest_reply() == 300s);
}

TEST_CASE("each stage of a conversation has its own limit", "[smtp]") {
  SmtpStageClock c(SmtpTimeouts{}, t0);
  CHECK(c.stage() == SmtpStage::connect);
  CHECK(c.limit() == 10s);
  CHECK_FALSE(c.expired(t0 + 10s));
  CHECK(c.expired(t0 + 11s));
  CHECK(c.outcome() == Outcome::connection);
  CHECK(c.reason() == "could not connect within 10 s");

  c.connected(t0 + 1s);
  CHECK(c.stage() == SmtpStage::greeting);
  CHECK_FALSE(c.expired(t0 + 301s));
  CHECK(c.expired(t0 + 302s));
  CHECK(c.reason() == "no greeting from the server within 300 s");
  CHECK(c.outcome() == Outcome::connection);

  c.received("220 relay.test ESMTP", t0 + 2s);
  c.sent("EHLO acme.test", t0 + 2s);
  CHECK(c.stage() == SmtpStage::command);
  CHECK(c.reason() == "no reply to EHLO within 300 s");
  CHECK(c.outcome() == Outcome::connection); // before MAIL FROM: the server is not answering
  c.received("250-relay.test", t0 + 400s);   // a continuation line is not the reply's end
  CHECK(c.expired(t0 + 400s));
}

TEST_CASE("inside the transaction a timeout fails the attempt; after the dot the outcome is unknown", "[smtp]") {
  SmtpStageClock c(SmtpTimeouts{}, t0);
  c.sent("MAIL FROM:<office@acme.test>", t0); // a reused connection starts here
  CHECK(c.reason() == "no reply to MAIL within 300 s");
  CHECK(c.outcome() == Outcome::temporary);
  c.received("250 OK", t0 + 1s);
  c.sent("RCPT TO:<maria@ionescu.test>", t0 + 1s);
  CHECK(c.reason() == "no reply to RCPT within 300 s");
  c.received("250 OK", t0 + 2s);
  c.sent("DATA", t0 + 2s);
  CHECK(c.stage() == SmtpStage::data_start);
  CHECK(c.limit() == 120s);
  CHECK(c.expired(t0 + 123s));
  CHECK(c.outcome() == Outcome::temporary);
  c.received("354 go ahead", t0 + 3s);
  CHECK(c.stage() == SmtpStage::data_block);
  CHECK(c.limit() == 180s);
  c.data_moved(t0 + 100s); // each block restarts the clock
  CHECK_FALSE(c.expired(t0 + 280s));
  CHECK(c.expired(t0 + 281s));
  CHECK(c.reason() == "the server took none of the message for 180 s");
  CHECK(c.outcome() == Outcome::temporary);
}

TEST_CASE("the wait after the final dot is ten minutes, and its timeout is the RFC 1047 gap", "[smtp]") {
  auto c = talked_up_to_the_dot();
  CHECK(c.stage() == SmtpStage::final_reply);
  CHECK_FALSE(c.expired(t0 + 12s + 35s)); // the field trial's slow relay
  CHECK_FALSE(c.expired(t0 + 12s + 600s));
  CHECK(c.expired(t0 + 12s + 601s));
  CHECK(c.outcome() == Outcome::unknown);
  CHECK(c.reason() == "no reply to the final dot within 600 s");
  c.data_moved(t0 + 500s); // nothing moves it back
  CHECK(c.stage() == SmtpStage::final_reply);
}

TEST_CASE("an AUTH exchange is followed without keeping what the client sent", "[smtp]") {
  SmtpStageClock c(SmtpTimeouts{}, t0);
  c.sent("AUTH LOGIN", t0);
  c.received("334 VXNlcm5hbWU6", t0 + 1s);
  c.sent("b2ZmaWNl", t0 + 1s); // the user name, base64
  CHECK(c.reason() == "no reply to AUTH within 300 s");
  c.received("334 UGFzc3dvcmQ6", t0 + 2s);
  c.sent("czNjcmV0LXB3", t0 + 2s); // the password
  CHECK(c.reason().find("czNjcmV0") == std::string::npos);
  c.received("235 2.7.0 Authentication successful", t0 + 3s);
  CHECK(c.stage() == SmtpStage::command);
  CHECK(c.reason() == "the conversation stalled for 300 s after the server's last reply");
}

TEST_CASE("a send reports the server's reply once, or the reason it ended without one", "[smtp]") {
  const auto ok = send_result(CURLE_OK, 250, true, "250 2.0.0 queued as 4F1x", "", nullptr);
  CHECK(ok.outcome == Outcome::sent);
  CHECK(ok.code == 250);
  CHECK(ok.reply == "250 2.0.0 queued as 4F1x");

  const auto rejected = send_result(CURLE_WEIRD_SERVER_REPLY, 554, true, "554 5.7.1 rejected by policy",
                                    "Weird server reply", nullptr);
  CHECK(rejected.outcome == Outcome::permanent);
  CHECK(rejected.code == 554);
  CHECK(rejected.reply == "554 5.7.1 rejected by policy");

  const auto refused = send_result(CURLE_COULDNT_CONNECT, 0, false, "",
                                   "Failed to connect to 127.0.0.1 port 2525 after 0 ms: Couldn't connect to server",
                                   nullptr);
  CHECK(refused.outcome == Outcome::connection);
  CHECK_FALSE(refused.code);
  CHECK(refused.reply == "Failed to connect to 127.0.0.1 port 2525: Couldn't connect to server");

  // The EHLO reply was 250, but that is not what ended the send.
  const auto no_tls = send_result(CURLE_USE_SSL_FAILED, 250, false, "250 SIZE 10000000", "STARTTLS not supported.",
                                  nullptr);
  CHECK(no_tls.outcome == Outcome::stop_config);
  CHECK_FALSE(no_tls.code);
  CHECK(no_tls.reply == "STARTTLS not supported.");

  const auto wrong_password = send_result(CURLE_LOGIN_DENIED, 535, false,
                                          "535 5.7.8 Authentication credentials invalid", "Login denied", nullptr);
  CHECK(wrong_password.outcome == Outcome::stop_config);
  CHECK(wrong_password.code == 535);
  CHECK(wrong_password.reply == "535 5.7.8 Authentication credentials invalid");

  const auto lost = send_result(CURLE_RECV_ERROR, 354, true, "354 End data with <CR><LF>.<CR><LF>",
                                "Recv failure: Connection reset by peer", nullptr);
  CHECK(lost.outcome == Outcome::unknown);
  CHECK(lost.code == 354);
  CHECK(lost.reply == "no reply after the final dot: Recv failure: Connection reset by peer");

  const auto slow = talked_up_to_the_dot();
  const auto timed_out =
      send_result(CURLE_OPERATION_TIMEDOUT, 354, true, "354 go ahead", "server response timeout", &slow);
  CHECK(timed_out.outcome == Outcome::unknown);
  CHECK(timed_out.code == 354);
  CHECK(timed_out.reply == "no reply to the final dot within 600 s");

  SmtpStageClock greeting(SmtpTimeouts{}, t0);
  greeting.connected(t0);
  const auto silent = send_result(CURLE_ABORTED_BY_CALLBACK, 0, false, "", "Callback aborted", &greeting);
  CHECK(silent.outcome == Outcome::connection);
  CHECK_FALSE(silent.code);
  CHECK(silent.reply == "no greeting from the server within 300 s");
}

TEST_CASE("[smtp] sets each stage's limit; the old timeout_seconds sets every reply's", "[smtp]") {
  const std::string base = "[mail]\ntransport = \"smtp\"\n[smtp]\nurl = \"smtp://relay.acme.test:587\"\n";
  const auto longest = [&](const std::string& extra) {
    const auto config = practice::config::parse_config(base + extra, "config.toml");
    return make_transport(config, "/tmp", "acme.test")->longest_reply();
  };
  CHECK(longest("") == 600s); // RFC 5321's ten minutes after the final dot
  CHECK(longest("final_reply_timeout_seconds = 900\n") == 900s);
  CHECK(longest("final_reply_timeout_seconds = 60\n") == 300s); // then the greeting's and the commands'
  CHECK(longest("timeout_seconds = 20\n") == 20s);
  CHECK_THROWS(longest("final_reply_timeout_seconds = 0\n"));
}
