#include "practice/mail/slots.hpp"

#include "practice/mail/message.hpp"

namespace practice::mail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

} // namespace

std::string decode_quoted_printable(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '=') {
      out += body[i];
      continue;
    }
    if (body.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
      continue;
    }
    if (i + 2 < body.size() && hex_value(body[i + 1]) >= 0 && hex_value(body[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(body[i + 1]) * 16 + hex_value(body[i + 2]));
      i += 2;
      continue;
    }
    out += '=';
  }
  return out;
}

bool fill_slot(std::string& message, std::string_view slot, std::string_view value) {
  const auto split = message.find("\r\n\r\n");
  if (split == std::string::npos) {
    return false;
  }
  std::string body = decode_quoted_printable(std::string_view(message).substr(split + 4));
  bool found = false;
  for (auto at = body.find(slot); at != std::string::npos; at = body.find(slot, at + value.size())) {
    body.replace(at, slot.size(), value);
    found = true;
  }
  if (!found) {
    return false;
  }
  message = message.substr(0, split + 4) + quoted_printable(body);
  return true;
}

} // namespace practice::mail
