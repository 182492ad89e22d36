#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace practice {

// The kinds of failure a command can end in; the CLI maps each to one exit code.
enum class ErrorKind {
  usage,            // 64
  invalid_input,    // 65: bad value
  conflict,         // 65: transition not allowed
  not_found,        // 66
  mail_unavailable, // 69
  unavailable,      // 69: a service we need (a port to listen on)
  internal,         // 70
  busy,             // 75
  permission,       // 77
  config,           // 78
};

// Base of every error the library throws on purpose. `what()` is one sentence
// naming the thing; `hint()` (may be empty) is the command or fix to try next.
class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

  ErrorKind kind() const { return m_kind; }
  const std::string& hint() const { return m_hint; }

private:
  ErrorKind m_kind;
  std::string m_hint;
};

class UsageError : public Error {
public:
  explicit UsageError(std::string message, std::string hint = {})
      : Error(ErrorKind::usage, std::move(message), std::move(hint)) {}
};

class InvalidInput : public Error {
public:
  explicit InvalidInput(std::string message, std::string hint = {})
      : Error(ErrorKind::invalid_input, std::move(message), std::move(hint)) {}
};

class Conflict : public Error {
public:
  explicit Conflict(std::string message, std::string hint = {})
      : Error(ErrorKind::conflict, std::move(message), std::move(hint)) {}
};

class NotFound : public Error {
public:
  explicit NotFound(std::string message, std::string hint = {})
      : Error(ErrorKind::not_found, std::move(message), std::move(hint)) {}
};

class MailUnavailable : public Error {
public:
  explicit MailUnavailable(std::string message, std::string hint = {})
      : Error(ErrorKind::mail_unavailable, std::move(message), std::move(hint)) {}
};

class Unavailable : public Error {
public:
  explicit Unavailable(std::string message, std::string hint = {})
      : Error(ErrorKind::unavailable, std::move(message), std::move(hint)) {}
};

class Busy : public Error {
public:
  explicit Busy(std::string message, std::string hint = {})
      : Error(ErrorKind::busy, std::move(message), std::move(hint)) {}
};

class PermissionDenied : public Error {
public:
  explicit PermissionDenied(std::string message, std::string hint = {})
      : Error(ErrorKind::permission, std::move(message), std::move(hint)) {}
};

class ConfigError : public Error {
public:
  explicit ConfigError(std::string message, std::string hint = {})
      : Error(ErrorKind::config, std::move(message), std::move(hint)) {}
};

// A failure of ours or of a library we call that no user input explains.
class InternalError : public Error {
public:
  explicit InternalError(std::string message, std::string hint = {})
      : Error(ErrorKind::internal, std::move(message), std::move(hint)) {}
};

} // namespace practice
