#pragma once

#include "practice/i18n/rules.hpp"
#include "practice/util/mustache.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Everything a client reads, in their language: one catalogue per language
// (share/practice/i18n/LANG.toml, built into the binary), parsed once and
// only read after, so any thread may look up any language at any time.
// A text is mustache ("Hello {{recipient_name}},"); a counted text has one
// form per plural category of its language. Templates name texts as
// {{t:key}} (localize); code asks for them by key (text, say, say_count).
namespace practice::i18n {

class Catalogue {
public:
  // Parses the catalogue of language `code` from TOML: a [language] table
  // (name, plural = "one_other" | "romanian", date = "DD/MM/YYYY", decimal =
  // "," or ".", same_as_english = [keys]), then tables of texts whose dotted
  // paths are the keys; a table of only one/few/other is a counted text.
  // Throws ConfigError naming `origin`.
  static Catalogue parse(std::string_view code, std::string_view toml, std::string_view origin);

  const std::string& code() const { return m_code; }
  const std::string& name() const { return m_name; }
  const Conventions& conventions() const { return m_conventions; }

  // The text of `key`, or nullptr when it has none (or `key` is counted).
  const std::string* text(std::string_view key) const;
  // The forms of the counted text `key`, or nullptr.
  const std::map<Plural, std::string>* forms(std::string_view key) const;
  // Every key, sorted, counted ones included.
  std::vector<std::string> keys() const;
  // Whether the text of `key` is the same as in English on purpose
  // ([language] same_as_english: "bytes" is Portuguese too).
  bool same_as_english(std::string_view key) const;

private:
  std::string m_code;
  std::string m_name;
  Conventions m_conventions;
  std::map<std::string, std::string, std::less<>> m_texts;
  std::map<std::string, std::map<Plural, std::string>, std::less<>> m_counted;
  std::set<std::string, std::less<>> m_same_as_english;
};

// The languages practice writes, as codes: "en" first, then the others by code.
const std::vector<std::string>& languages();
// The code `s` names (any case, surrounding space ignored), or nullopt when
// practice has no catalogue for it.
std::optional<std::string> parse_language(std::string_view s);
// "en, it, pt or ro": the codes for a help text or an error's hint.
std::string languages_text(std::string_view last_joiner = "or");
// The code `value` names; throws InvalidInput, naming the languages, when
// practice has no catalogue for it.
std::string require_language(std::string_view value);

// The built-in catalogue of `lang`; English for a code it has none of.
const Catalogue& catalogue(std::string_view lang);

// The text of `key` in `lang`, or in English where `lang` lacks it (the
// completeness test keeps that from happening). Throws InternalError when
// English has no such key either: a key the code names must exist.
std::string text(std::string_view lang, std::string_view key);
// `key`'s text rendered with `args` (values escaped as `escape` says; the
// catalogue's own words are taken as they are).
std::string say(std::string_view lang, std::string_view key, const nlohmann::json& args = nlohmann::json::object(),
                util::Escape escape = util::Escape::none);
// The counted text `key` for `n`, in the form `lang`'s plural rule picks,
// rendered with `args` and {{n}}.
std::string say_count(std::string_view lang, std::string_view key, int64_t n,
                      nlohmann::json args = nlohmann::json::object(), util::Escape escape = util::Escape::none);

enum class Missing { english, refuse };
// The template `source` with each {{t:key}} replaced by `lang`'s text of key,
// which may itself use the template's values ({{firm_name}}). A key `lang`
// lacks takes English's text (Missing::english) or is refused
// (Missing::refuse, for the tests); a key English lacks, or a counted one,
// is always refused. Throws ConfigError naming `origin` and the key.
std::string localize(std::string_view source, std::string_view lang, std::string_view origin,
                     Missing missing = Missing::english);

// A date and a stored number as `lang` writes them.
std::string format_date(std::string_view lang, std::chrono::sys_days d);
std::string format_number(std::string_view lang, std::string_view canonical);

} // namespace practice::i18n
