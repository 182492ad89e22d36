#pragma once

#include "practice/config/config.hpp"
#include "practice/error.hpp"

#include <optional>
#include <string>
#include <vector>

// `practice doctor`: is this installation healthy? Each check says what it
// looked at; a failed one carries the kind of failure the CLI exits with.
namespace practice::app {

struct DoctorCheck {
  std::string name;   // "database", "schema", "audit", "files", "link key", "config"
  bool ok = true;
  std::string detail; // one line: what was found
  ErrorKind kind = ErrorKind::internal; // when not ok
  std::string hint;
};

struct DoctorInputs {
  std::string db_path;
  std::string key_path;
  std::string files_root;
  std::string config_path;                  // empty: defaults only
  std::optional<std::string> config_error;  // why the config could not be loaded
};

// Runs every check without changing anything: the database is opened as it
// is (not migrated) and read in one snapshot.
std::vector<DoctorCheck> run_doctor(const DoctorInputs& in);

// `--mail`: can mail go out as configured? For SMTP a session without a
// message (EHLO, STARTTLS, AUTH, NOOP); for the file transport, a folder it
// can write; no transport fails. `helo_domain`: the firm's, for EHLO.
DoctorCheck check_mail(const config::Config& config, const std::string& base_dir, const std::string& helo_domain);

} // namespace practice::app
