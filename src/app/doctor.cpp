#include "practice/app/doctor.hpp"

#include "practice/audit/audit_log.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/requests/link_key_store.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/requests.hpp"
#include "practice/storage/database.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/sha256.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::app {

namespace {

DoctorCheck pass(std::string name, std::string detail) { return {std::move(name), true, std::move(detail), {}, {}}; }

DoctorCheck fail(std::string name, ErrorKind kind, std::string detail, std::string hint = {}) {
  return {std::move(name), false, std::move(detail), kind, std::move(hint)};
}

// The schema that keeps the link key's fingerprint (storage/migrations.cpp).
constexpr int k_fingerprint_schema = 14;

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

// `fingerprint`: the one the database keeps of the firm's key, if any.
DoctorCheck check_key(const std::string& path, const std::optional<std::string>& fingerprint) {
  if (path.empty()) {
    return fail("link key", ErrorKind::config, "no [database] key_file is set: the link key is never in the database",
                "set key_file to the firm's key file, the same on every machine");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return fail("link key", ErrorKind::not_found, fmt::format("{} is missing: no link in any email works", path),
                fingerprint
                    ? "copy it (0600) from the machine that holds the firm's key, or restore it from a backup; a new "
                      "key would change every link"
                    : "restore it from a backup ('practice restore'); a new key would change every link");
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("link key", ErrorKind::invalid_input, fmt::format("{} is not a regular file", path));
  }
  if ((st.st_mode & 077) != 0) {
    return fail("link key", ErrorKind::permission,
                fmt::format("{} is {}: others may read the secret behind every link", path, mode_text(st.st_mode)),
                fmt::format("chmod 600 {}", path));
  }
  if (st.st_uid != ::geteuid()) {
    return fail("link key", ErrorKind::permission, fmt::format("{} belongs to another user", path));
  }
  if (st.st_size != 32) {
    return fail("link key", ErrorKind::invalid_input,
                fmt::format("{} is {} bytes, not 32: it is not a link key", path, st.st_size));
  }
  if (fingerprint) {
    try {
      const auto key = requests::read_link_key(path);
      requests::check_link_key(key.value_or(""), *fingerprint, path);
    } catch (const Error& e) {
      return fail("link key", ErrorKind::config, e.what(), "copy the firm's key file from the machine that holds it");
    }
  }
  return pass("link key", fmt::format("{}, {}, {}", path, mode_text(st.st_mode),
                                      fingerprint ? "the firm's (its fingerprint matches)"
                                                  : "no fingerprint recorded yet (the next link records it)"));
}

DoctorCheck check_config(const DoctorInputs& in) {
  if (in.config_error) {
    return fail("config", ErrorKind::config, *in.config_error, "run 'practice config check' for each bad key");
  }
  if (in.config_path.empty()) {
    return pass("config", "no config file: defaults");
  }
  struct stat st {};
  if (::stat(in.config_path.c_str(), &st) != 0) {
    return pass("config", fmt::format("{} is not there: defaults", in.config_path));
  }
  // A password in the file is refused unless the file is private (load_config);
  // the rest of it names servers and commands, so group-readable is allowed.
  if ((st.st_mode & 002) != 0) {
    return fail("config", ErrorKind::permission,
                fmt::format("{} is {}: anyone may change where mail goes", in.config_path, mode_text(st.st_mode)),
                fmt::format("chmod 600 {}", in.config_path));
  }
  return pass("config", fmt::format("{}, {}", in.config_path, mode_text(st.st_mode)));
}

} // namespace

std::vector<DoctorCheck> run_doctor(const DoctorInputs& in) {
  std::vector<DoctorCheck> out;
  std::unique_ptr<storage::Database> db;
  std::optional<std::string> fingerprint;
  try {
    db = std::make_unique<storage::Database>(in.db_path, storage::OpenMode::existing);
  } catch (const Error& e) {
    out.push_back(fail("database", e.kind(), e.what(), "run 'practice init', or 'practice restore' a backup"));
  }
  if (db) {
    storage::Transaction tx(*db, storage::TxMode::read);
    {
      const std::string problems = db->integrity_problems();
      const int orphans = db->foreign_key_orphans();
      struct stat st {};
      const auto size = ::stat(in.db_path.c_str(), &st) == 0 ? st.st_size : 0;
      if (problems != "ok") {
        out.push_back(fail("database", ErrorKind::invalid_input, fmt::format("integrity check: {}", problems),
                           "restore the last good backup ('practice restore FILE.tar --force')"));
      } else if (orphans > 0) {
        out.push_back(fail("database", ErrorKind::invalid_input,
                           fmt::format("{} rows point at rows that do not exist (foreign_key_check)", orphans)));
      } else if (db->is_postgres()) {
        out.push_back(pass("database", fmt::format("{}: reached; the server holds integrity and foreign keys",
                                                   db->path())));
      } else {
        out.push_back(pass("database", fmt::format("{}: integrity and foreign keys hold, {} bytes", in.db_path, size)));
      }
    }
    const int version = storage::schema_version(*db);
    const int latest = storage::latest_schema_version();
    if (version == latest) {
      out.push_back(pass("schema", fmt::format("version {}, current", version)));
    } else if (version < latest) {
      out.push_back(fail("schema", ErrorKind::config, fmt::format("version {} of {}", version, latest),
                         "any command that changes something migrates it, e.g. 'practice firm edit'"));
    } else {
      out.push_back(fail("schema", ErrorKind::config,
                         fmt::format("version {}: newer than this practice knows ({})", version, latest),
                         "upgrade practice"));
    }
    if (version >= k_fingerprint_schema && version <= latest) {
      fingerprint = requests::LinkKeyStore(*db).fingerprint();
    }
    if (version >= 1) {
      const auto chain = audit::AuditLog(*db).verify();
      if (chain.ok) {
        out.push_back(pass("audit", fmt::format("{} rows chained, head {}", chain.rows, chain.head_hash)));
      } else {
        out.push_back(fail("audit", ErrorKind::invalid_input,
                           fmt::format("row {}: {}", chain.bad_row.value_or(0), chain.problem),
                           "'practice audit --verify' names the row; restore a backup from before it"));
      }
      const storage::FileStore store(in.files_root, 0);
      int missing = 0;
      int damaged = 0;
      std::string first;
      const auto files = storage::list_stored_files(*db);
      for (const auto& f : files) {
        // On PostgreSQL, the database's copy (fetched into this machine's cache).
        std::string path = store.path_of(f.sha256);
        try {
          path = store.local_path(*db, f.sha256);
        } catch (const Error&) {
        }
        const auto sha = util::sha256_of_file(path);
        if (!sha || *sha != f.sha256) {
          (sha ? damaged : missing) += 1;
          if (first.empty()) {
            first = fmt::format("{} is {}", path, sha ? "damaged (its hash differs)" : "missing");
          }
        }
      }
      if (missing + damaged == 0) {
        out.push_back(pass("files", fmt::format("{} stored files present, each matching its SHA-256", files.size())));
      } else {
        out.push_back(fail("files", missing > 0 ? ErrorKind::not_found : ErrorKind::invalid_input,
                           fmt::format("{} of {} stored files are missing or damaged; {}", missing + damaged,
                                       files.size(), first),
                           "restore the files from a backup"));
      }
    }
    tx.commit();
  }
  out.push_back(check_key(in.key_path, fingerprint));
  out.push_back(check_config(in));
  return out;
}

DoctorCheck check_mail(const config::Config& config, const std::string& base_dir, const std::string& helo_domain) {
  if (!config.mail_transport) {
    return fail("mail", ErrorKind::mail_unavailable, "no [mail] transport is set: every email stays queued",
                "set [mail] transport = \"smtp\" with [smtp] url, or \"file\"");
  }
  if (*config.mail_transport == "file") {
    std::string dir = config.mail_dir;
    if (dir.empty() || dir.front() != '/') {
      dir = base_dir + "/" + dir;
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
      return fail("mail", ErrorKind::mail_unavailable,
                  fmt::format("the file transport cannot write to {}: {}", dir, std::strerror(errno)),
                  "create the folder, or set [mail] dir");
    }
    return pass("mail", fmt::format("the file transport writes to {}", dir));
  }
  mail::SmtpSettings settings;
  mail::SessionCheck r;
  try {
    settings = mail::smtp_settings(config, helo_domain);
    r = mail::check_smtp_session(settings);
  } catch (const Error& e) {
    return fail("mail", e.kind(), e.what(), e.hint()); // a bad URL, no password source
  }
  const bool tls = settings.url.rfind("smtps://", 0) == 0 || settings.security != "none";
  const std::string steps = fmt::format("{}{}", tls ? (settings.url.rfind("smtps://", 0) == 0 ? "TLS, EHLO" : "EHLO, STARTTLS")
                                                    : "EHLO (no TLS)",
                                        settings.username ? ", AUTH" : "");
  if (r.outcome == mail::Outcome::sent) {
    return pass("mail", fmt::format("{}: {} and NOOP accepted, no message sent ({})", settings.url, steps,
                                    r.detail.empty() ? "no reply text" : r.detail));
  }
  const bool later = r.outcome == mail::Outcome::stop_temp || r.outcome == mail::Outcome::temporary;
  return fail("mail", later ? ErrorKind::busy : ErrorKind::mail_unavailable, fmt::format("{}: {}", settings.url, r.detail),
              later ? "the server asked to try later" : "check [smtp] in config.toml against the server's reply");
}

} // namespace practice::app
