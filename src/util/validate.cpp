#include "practice/util/validate.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

namespace practice::util {

namespace {

// Throws unless `value` is free of control characters (line breaks and tabs
// too unless `allow_breaks`), checked before any trimming: a trailing CR is
// refused, not silently dropped.
void check_controls(std::string_view what, std::string_view value, bool allow_breaks) {
  const auto refuse = [what](bool line_break) {
    throw InvalidInput(fmt::format("{} must not contain {}", what,
                                   line_break ? "a line break" : "control characters"));
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool is_break = c == '\n' || c == '\t' || c == '\r';
    if ((c < 0x20 && !(allow_breaks && is_break)) || c == 0x7f) {
      refuse(c == '\n' || c == '\r' || c == 0x0b || c == 0x0c);
    }
    // The C1 controls U+0080..U+009F (NEL, U+0085, among them), as UTF-8.
    const auto next = i + 1 < value.size() ? static_cast<unsigned char>(value[i + 1]) : 0;
    if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      refuse(next == 0x85);
    }
    // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: mandatory breaks
    // for Unicode (and JavaScript), so a "line" holding one shows as two.
    if (c == 0xe2 && next == 0x80 && i + 2 < value.size()) {
      const auto third = static_cast<unsigned char>(value[i + 2]);
      if ((third == 0xa8 || third == 0xa9) && !allow_breaks) {
        refuse(true);
      }
    }
  }
}

std::string check_text(std::string_view what, std::string_view value, size_t max_length,
                       bool allow_breaks) {
  check_controls(what, value, allow_breaks);
  const std::string_view t = trim(value);
  if (t.empty()) {
    throw InvalidInput(fmt::format("{} must not be empty", what));
  }
  if (t.size() > max_length) {
    throw InvalidInput(fmt::format("{} is too long ({} bytes; at most {})", what, t.size(),
                                   max_length));
  }
  if (!is_valid_utf8(t)) {
    throw InvalidInput(fmt::format("{} is not valid UTF-8", what));
  }
  return std::string(t);
}

} // namespace

std::string require_line(std::string_view what, std::string_view value, size_t max_length) {
  return check_text(what, value, max_length, false);
}

std::string require_text(std::string_view what, std::string_view value, size_t max_length) {
  return check_text(what, value, max_length, true);
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) {
        return false;
      }
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool is_valid_email(std::string_view a) {
  if (a.size() > 254) {
    return false;
  }
  const size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) {
    return false;
  }
  const std::string_view local = a.substr(0, at);
  const std::string_view domain = a.substr(at + 1);
  if (local.size() > 64) {
    return false;
  }
  // RFC 5322 dot-atom characters for the local part.
  static constexpr std::string_view k_local_specials = "!#$%&'*+-/=?^_`{|}~.";
  for (const char c : local) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && k_local_specials.find(c) == std::string_view::npos) {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  size_t labels = 0;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) {
      end = domain.size();
    }
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return false;
      }
    }
    ++labels;
    start = end + 1;
  }
  return labels >= 2;
}

std::string require_email(std::string_view what, std::string_view address) {
  check_controls(what, address, false);
  const std::string_view t = trim(address);
  if (t.empty()) {
    throw InvalidInput(fmt::format("{} must not be empty", what));
  }
  if (!is_valid_email(t)) {
    std::string shown;
    for (const char c : t) {
      const auto u = static_cast<unsigned char>(c);
      shown += (u < 0x20 || u == 0x7f) ? fmt::format("\\x{:02x}", u) : std::string(1, c);
    }
    throw InvalidInput(fmt::format("{} \"{}\" is not a valid email address", what, shown),
                       "use a plain address such as name@example.com");
  }
  const size_t at = t.rfind('@');
  return std::string(t.substr(0, at + 1)) + to_lower(t.substr(at + 1));
}

NamedEmail require_named_email(std::string_view what, std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty() || t.back() != '>') {
    return {"", require_email(what, t)};
  }
  const auto open = t.rfind('<');
  if (open == std::string_view::npos) {
    return {"", require_email(what, t)};
  }
  std::string_view name = trim(t.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  NamedEmail out;
  out.email = require_email(what, t.substr(open + 1, t.size() - open - 2));
  if (!trim(name).empty()) {
    out.name = require_line(fmt::format("the name in {}", what), name, 200);
  }
  return out;
}

} // namespace practice::util
