#include "practice/mail/message.hpp"

#include "practice/error.hpp"
#include "practice/util/random.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>

#include <array>

namespace practice::mail {

namespace {

constexpr size_t k_fold_at = 78;

bool is_ascii_printable(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) {
      return false;
    }
  }
  return true;
}

void require_header_safe(std::string_view what, std::string_view value) {
  for (const char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      throw InvalidInput(fmt::format("the {} must not contain line breaks or NUL characters", what));
    }
  }
  if (!util::is_valid_utf8(value)) {
    throw InvalidInput(fmt::format("the {} is not valid UTF-8", what));
  }
}

std::string base64(std::string_view in) {
  static constexpr char k_b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += k_b64[(v >> 18) & 63];
    out += k_b64[(v >> 12) & 63];
    out += k_b64[(v >> 6) & 63];
    out += k_b64[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += k_b64[(v >> 18) & 63];
    out += k_b64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8);
    out += k_b64[(v >> 18) & 63];
    out += k_b64[(v >> 12) & 63];
    out += k_b64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Length of the UTF-8 sequence that starts with byte `c`.
size_t utf8_length(unsigned char c) {
  if (c < 0x80) {
    return 1;
  }
  if ((c & 0xe0) == 0xc0) {
    return 2;
  }
  if ((c & 0xf0) == 0xe0) {
    return 3;
  }
  return 4;
}

std::string mailbox(std::string_view what, const Mailbox& m, size_t used) {
  if (!util::is_valid_email(m.email)) {
    throw InvalidInput(fmt::format("the {} address \"{}\" is not a valid email address", what,
                                   m.email));
  }
  require_header_safe(fmt::format("{} name", what), m.name);
  if (m.name.empty()) {
    return m.email;
  }
  std::string phrase;
  if (is_ascii_printable(m.name) && m.name.find("=?") == std::string::npos) {
    phrase = "\"";
    for (const char c : m.name) {
      if (c == '"' || c == '\\') {
        phrase += '\\';
      }
      phrase += c;
    }
    phrase += "\"";
  } else {
    phrase = encode_header_text(m.name, used);
  }
  return phrase + " <" + m.email + ">";
}

} // namespace

std::string new_message_id(std::string_view domain) {
  return fmt::format("<{}@{}>", util::base32(util::random_bytes(16)),
                     domain.empty() ? "practice.invalid" : domain);
}

std::string domain_of(std::string_view email) {
  const size_t at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(email.substr(at + 1));
}

std::string encode_header_text(std::string_view text, size_t used) {
  if (is_ascii_printable(text) && text.find("=?") == std::string_view::npos) {
    // Fold plain text at spaces; a word longer than a line stays whole.
    std::string out;
    size_t line = used;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t next = text.find(' ', pos + 1);
      if (next == std::string_view::npos) {
        next = text.size();
      }
      const std::string_view word = text.substr(pos, next - pos);
      if (line + word.size() > k_fold_at && !out.empty() && word.front() == ' ') {
        out += "\r\n";
        line = 0;
      }
      out += word;
      line += word.size();
      pos = next;
    }
    return out;
  }
  // RFC 2047 B words of at most 75 characters, never splitting a UTF-8 sequence.
  std::string out;
  size_t pos = 0;
  size_t line = used;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size()) {
      const size_t n = utf8_length(static_cast<unsigned char>(text[end]));
      if (end + n - pos > 39) { // 52 base64 characters: a word of 64 with "Subject: " fits 78
        break;
      }
      end += n;
    }
    if (end == pos) {
      end = std::min(text.size(), pos + utf8_length(static_cast<unsigned char>(text[pos])));
    }
    const std::string word = "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
    if (!out.empty()) {
      if (line + 1 + word.size() > k_fold_at) {
        out += "\r\n ";
        line = 1;
      } else {
        out += ' ';
        line += 1;
      }
    }
    out += word;
    line += word.size();
    pos = end;
  }
  return out;
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  const std::string normal = normalize_newlines(text);
  std::string out;
  out.reserve(normal.size() + normal.size() / 8);
  size_t line = 0;
  size_t pos = 0;
  while (pos <= normal.size()) {
    size_t eol = normal.find("\r\n", pos);
    const bool last = eol == std::string::npos;
    if (last) {
      eol = normal.size();
    }
    const std::string_view l(normal.data() + pos, eol - pos);
    for (size_t i = 0; i < l.size(); ++i) {
      const auto c = static_cast<unsigned char>(l[i]);
      const bool at_end = i + 1 == l.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
        piece = static_cast<char>(c);
      } else {
        piece = {'=', k_hex[c >> 4], k_hex[c & 15]};
      }
      // Soft line break keeps every line at 76 characters or fewer.
      if (line + piece.size() > (at_end ? 76 : 75)) {
        out += "=\r\n";
        line = 0;
      }
      out += piece;
      line += piece.size();
    }
    if (last) {
      break;
    }
    out += "\r\n";
    line = 0;
    pos = eol + 2;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
    out += "\r\n";
  }
  return out;
}

std::string rfc5322_date(util::TimePoint t) {
  static constexpr std::array<const char*, 7> k_days = {"Thu", "Fri", "Sat", "Sun",
                                                        "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> k_months = {"Jan", "Feb", "Mar", "Apr",
                                                           "May", "Jun", "Jul", "Aug",
                                                           "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  const auto weekday = ((day.time_since_epoch().count() % 7) + 7) % 7;
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", k_days[size_t(weekday)],
                     unsigned(ymd.day()), k_months[unsigned(ymd.month()) - 1], int(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string with_date(std::string_view message, util::TimePoint t) {
  const std::string line = "Date: " + rfc5322_date(t) + "\r\n";
  // The header block ends at the first empty line.
  size_t pos = 0;
  while (pos < message.size()) {
    const size_t eol = message.find("\r\n", pos);
    const size_t end = eol == std::string_view::npos ? message.size() : eol + 2;
    if (end - pos <= 2) {
      break; // the empty line: no Date header
    }
    const std::string_view name = message.substr(pos, 5);
    if (name.size() == 5 && name[4] == ':' && util::to_lower(name.substr(0, 4)) == "date") {
      // A folded value would go on in lines that start with white space.
      size_t stop = end;
      while (stop < message.size() && (message[stop] == ' ' || message[stop] == '\t')) {
        const size_t next = message.find("\r\n", stop);
        stop = next == std::string_view::npos ? message.size() : next + 2;
      }
      std::string out;
      out.reserve(message.size() + line.size());
      out.append(message.substr(0, pos)).append(line).append(message.substr(stop));
      return out;
    }
    pos = end;
  }
  return line + std::string(message);
}

std::string render(const Message& m) {
  require_header_safe("subject", m.subject);
  if (m.message_id.size() < 5 || m.message_id.front() != '<' || m.message_id.back() != '>' ||
      m.message_id.find_first_of(" \t\r\n\0", 0, 5) != std::string::npos) {
    throw InvalidInput(fmt::format("\"{}\" is not a valid Message-ID", m.message_id));
  }
  std::string out;
  out.reserve(m.body.size() + 1024);
  out += "Date: " + rfc5322_date(m.date) + "\r\n";
  out += "From: " + mailbox("sender", m.from, 6) + "\r\n";
  out += "To: " + mailbox("recipient", m.to, 4) + "\r\n";
  out += "Subject: " + encode_header_text(m.subject, 9) + "\r\n";
  out += "Message-ID: " + m.message_id + "\r\n";
  for (const auto& [name, value] : m.extra_headers) {
    if (name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") !=
                            std::string::npos) {
      throw InvalidInput(fmt::format("\"{}\" is not a valid header name", name));
    }
    require_header_safe(fmt::format("{} header", name), value);
    out += name + ": " + encode_header_text(value, name.size() + 2) + "\r\n";
  }
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  if (!m.language.empty()) {
    if (m.language.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
        std::string::npos) {
      throw InvalidInput(fmt::format("\"{}\" is not a language tag", m.language));
    }
    out += "Content-Language: " + m.language + "\r\n";
  }
  out += "\r\n";
  if (!util::is_valid_utf8(m.body)) {
    throw InvalidInput("the message body is not valid UTF-8");
  }
  out += quoted_printable(m.body);
  return out;
}

} // namespace practice::mail
