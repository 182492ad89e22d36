#include "errors.hpp"

#include "practice/util/strings.hpp"

#include <fmt/format.h>

namespace practice::cli {

namespace {

std::string_view code_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return "usage";
  case ErrorKind::invalid_input:
    return "invalid_input";
  case ErrorKind::conflict:
    return "conflict";
  case ErrorKind::not_found:
    return "not_found";
  case ErrorKind::mail_unavailable:
    return "mail_unavailable";
  case ErrorKind::unavailable:
    return "unavailable";
  case ErrorKind::internal:
    return "internal";
  case ErrorKind::busy:
    return "busy";
  case ErrorKind::permission:
    return "permission_denied";
  case ErrorKind::config:
    return "config";
  }
  return "internal";
}

// The deepest subcommand the user got to, and its command path.
const CLI::App* deepest(const CLI::App& app, std::string& path) {
  const CLI::App* cur = &app;
  path = app.get_name();
  for (;;) {
    const auto subs = cur->get_subcommands();
    if (subs.empty()) {
      return cur;
    }
    cur = subs.front();
    path += " " + cur->get_name();
  }
}

} // namespace

int exit_code(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return 64;
  case ErrorKind::invalid_input:
  case ErrorKind::conflict:
    return 65;
  case ErrorKind::not_found:
    return 66;
  case ErrorKind::mail_unavailable:
  case ErrorKind::unavailable:
    return 69;
  case ErrorKind::internal:
    return 70;
  case ErrorKind::busy:
    return 75;
  case ErrorKind::permission:
    return 77;
  case ErrorKind::config:
    return 78;
  }
  return 70;
}

int report_error(const Error& e, const Output& out) {
  out.error(code_name(e.kind()), e.what(), e.hint());
  return exit_code(e.kind());
}

int report_parse_error(const CLI::ParseError& e, const CLI::App& app, const Output& out) {
  std::string path;
  const CLI::App* at = deepest(app, path);
  std::string message = e.what();
  std::string hint = fmt::format("run '{} --help'", path);
  // An unknown noun or verb: CLI11 reports a missing subcommand or an extra
  // argument; name the word and suggest the nearest command.
  std::string word;
  const bool has_verbs = !at->get_subcommands([](const CLI::App*) { return true; }).empty();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    const auto colon = message.rfind(": ");
    if (colon != std::string::npos) {
      word = message.substr(colon + 2);
    }
  } else if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && has_verbs) {
    for (const auto& r : app.remaining(true)) {
      if (!r.empty() && r.front() != '-') {
        word = r;
        break;
      }
    }
    if (word.empty()) {
      message = fmt::format("'{}' needs a command", path);
    }
  }
  if (!word.empty() && has_verbs && word.find(' ') == std::string::npos) {
    std::vector<std::string> names;
    for (const auto* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
    }
    message = fmt::format("'{}' has no command \"{}\"", path, word);
    if (const auto near = util::closest_match(word, names)) {
      message += fmt::format("; did you mean \"{}\"?", *near);
    }
  }
  if (!message.empty() && message.front() >= 'A' && message.front() <= 'Z' &&
      message.compare(0, 3, "CLI") != 0) {
    message.front() = static_cast<char>(message.front() - 'A' + 'a');
  }
  out.error("usage", message, hint);
  return exit_code(ErrorKind::usage);
}

int report_unexpected(const std::exception& e, const Output& out) {
  out.error("internal", fmt::format("internal error: {}", e.what()),
            "this is a bug in practice; please report it with the command you ran");
  return exit_code(ErrorKind::internal);
}

} // namespace practice::cli
