#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace practice::mail {

// How one send ended, in the terms delivery acts on (reliability.md §1.5).
enum class Outcome {
  sent,        // 2xx after the final dot
  temporary,   // 4xx or a failure before the data went out: retry later
  permanent,   // 5xx for this message: failed
  unknown,     // the data went out but the final reply was lost: resend, same Message-ID
  connection,  // no conversation with the server (refused, timed out): not the message's
               // fault, not counted; three in a row stop the run
  stop_temp,   // the server said go away for now (421): stop the run, nothing counted
  stop_config, // TLS, authentication or sender refused: stop the run, nothing counted
};

struct SendResult {
  Outcome outcome = Outcome::temporary;
  std::optional<int> code; // last SMTP reply code, when there was one
  std::string reply;       // last reply line or the error, for `outbox show`
};

// Hands one rendered message to one recipient.
class Transport {
public:
  virtual ~Transport() = default;
  virtual SendResult send(std::string_view from, std::string_view rcpt, std::string_view message,
                          std::string_view message_id) = 0;
  // A short name for messages ("smtp://mail.acme.test:587", "file:/path").
  virtual std::string describe() const = 0;
  // A second, independent connection to the same place, for sending in
  // parallel from another thread; nullptr when this transport sends one
  // message at a time.
  virtual std::unique_ptr<Transport> another() const { return nullptr; }
  // The longest send() may wait for the reply after the final dot: delivery
  // keeps a handed-over message's lease at least this long.
  virtual std::chrono::seconds longest_reply() const { return std::chrono::seconds(0); }

  // The hand-over gate: send() calls it just before the bytes that hand the
  // message over for good (the end of the data and the final dot; the rename
  // of a file). From then until the result is recorded the message may be
  // delivered without our knowing, so delivery lets one message at a time
  // through: a killed run leaves at most one duplicate. Delivery also records
  // the hand-over there (the Date the message carries, and a mark that makes
  // a run taking the row over flag it uncertain). Returning false abandons
  // the send, undelivered (Outcome::temporary).
  void set_handover_gate(std::function<bool()> gate) { m_gate = std::move(gate); }

protected:
  bool pass_handover_gate() const { return !m_gate || m_gate(); }

private:
  std::function<bool()> m_gate;
};

} // namespace practice::mail
