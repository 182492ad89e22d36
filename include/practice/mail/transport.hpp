#pragma once

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
};

} // namespace practice::mail
