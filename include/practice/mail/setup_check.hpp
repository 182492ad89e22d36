#pragma once

#include "practice/mail/delivery.hpp"
#include "practice/mail/outbox_store.hpp"

#include <string>
#include <vector>

// What a test delivery (practice outbox test) says about the mail set-up.
namespace practice::mail {

enum class SetupVerdict {
  works,       // at least one test message went out
  unavailable, // none did: the server could not be reached, or refused TLS,
               // the login, the sender or the message (exit 69)
  temporary,   // none did, but only for now: a 4xx, a 421, a lost final reply (exit 75)
};

struct SetupCheck {
  SetupVerdict verdict = SetupVerdict::works;
  std::string reason; // the server's reply or the error, for the one line on stderr
};

// Judges a delivery run over the test messages `rows`, as the outbox holds
// them after the run: it works when one of them was sent. Pure.
SetupCheck judge_test_delivery(const DeliveryReport& report, const std::vector<OutboxRow>& rows);

} // namespace practice::mail
