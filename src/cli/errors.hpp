#pragma once

#include "output.hpp"

#include "practice/error.hpp"

#include <CLI/CLI.hpp>

#include <exception>

namespace practice::cli {

// The one mapping from failures to sysexits codes (cli.md, "Exit codes").
int exit_code(ErrorKind kind);

// Reports a failure in the one error shape and returns its exit code.
int report_error(const Error& e, const Output& out);
int report_parse_error(const CLI::ParseError& e, const CLI::App& app, const Output& out);
int report_unexpected(const std::exception& e, const Output& out);

} // namespace practice::cli
