#include "practice/i18n/catalogue.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace practice::i18n {

// Generated from share/practice/i18n/ (see src/CMakeLists.txt).
std::optional<std::string_view> builtin_catalogue(std::string_view name);
std::vector<std::string> builtin_catalogue_names();

namespace {

constexpr std::string_view k_english = "en";

// A table that holds only plural categories (and "other" among them) is one counted text.
bool is_counted(const toml::table& t) {
  if (!t.contains("other")) {
    return false;
  }
  return std::all_of(t.begin(), t.end(), [](const auto& kv) {
    return parse_plural(kv.first.str()).has_value() && kv.second.is_string();
  });
}

// The codes, "en" first: they need no parsing (the command line's help and
// completion name them).
std::vector<std::string> builtin_codes() {
  auto codes = builtin_catalogue_names();
  std::sort(codes.begin(), codes.end(), [](const std::string& x, const std::string& y) {
    return (x != k_english) < (y != k_english) || ((x != k_english) == (y != k_english) && x < y);
  });
  return codes;
}

// Each catalogue is parsed the first time it is asked for (a command that
// writes to one Portuguese client parses Portuguese, and English for what
// Portuguese might lack), then only read: safe from any thread.
struct Builtin {
  std::string code;
  std::once_flag parsed;
  std::unique_ptr<Catalogue> catalogue;
};

std::vector<std::unique_ptr<Builtin>> make_builtin() {
  std::vector<std::unique_ptr<Builtin>> out;
  for (const auto& code : builtin_codes()) {
    out.push_back(std::make_unique<Builtin>());
    out.back()->code = code;
  }
  return out;
}

const Catalogue* find_builtin(std::string_view code) {
  static const std::vector<std::unique_ptr<Builtin>> all = make_builtin();
  for (const auto& b : all) {
    if (b->code == code) {
      std::call_once(b->parsed, [&] {
        b->catalogue = std::make_unique<Catalogue>(Catalogue::parse(
            b->code, *builtin_catalogue(b->code), fmt::format("the built-in catalogue {}.toml", b->code)));
      });
      return b->catalogue.get();
    }
  }
  return nullptr;
}

std::string render(std::string_view lang, std::string_view key, const std::string& text, const nlohmann::json& args,
                   util::Escape escape) {
  try {
    return util::render_mustache(text, args, escape, fmt::format("the {} text {}", lang, key));
  } catch (const InvalidInput& e) {
    throw InternalError(e.what());
  }
}

} // namespace

Catalogue Catalogue::parse(std::string_view code, std::string_view toml_text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{} is not valid TOML: {} (line {})", origin, e.description(),
                                  e.source().begin.line));
  }
  Catalogue c;
  c.m_code = std::string(code);
  const auto* language = root["language"].as_table();
  if (!language) {
    throw ConfigError(fmt::format("{} has no [language] table", origin));
  }
  c.m_name = (*language)["name"].value_or(std::string());
  if (c.m_name.empty()) {
    throw ConfigError(fmt::format("{}: [language] name is missing", origin));
  }
  const std::string plural = (*language)["plural"].value_or(std::string("one_other"));
  const auto rule = parse_plural_rule(plural);
  if (!rule) {
    throw ConfigError(fmt::format("{}: [language] plural = \"{}\" is not a rule practice knows", origin, plural),
                      "use \"one_other\" or \"romanian\", or teach src/i18n/rules.cpp the language's rule");
  }
  c.m_conventions.plural = *rule;
  c.m_conventions.date_pattern = (*language)["date"].value_or(std::string("YYYY-MM-DD"));
  if (!is_date_pattern(c.m_conventions.date_pattern)) {
    throw ConfigError(fmt::format("{}: [language] date = \"{}\" is not a date pattern such as \"DD/MM/YYYY\"",
                                  origin, c.m_conventions.date_pattern));
  }
  const std::string decimal = (*language)["decimal"].value_or(std::string("."));
  if (decimal != "." && decimal != ",") {
    throw ConfigError(fmt::format("{}: [language] decimal must be \".\" or \",\"", origin));
  }
  c.m_conventions.decimal = decimal[0];
  if (const auto* same = (*language)["same_as_english"].as_array()) {
    for (const auto& key : *same) {
      if (!key.is_string()) {
        throw ConfigError(fmt::format("{}: [language] same_as_english lists keys, as strings", origin));
      }
      c.m_same_as_english.insert(*key.value<std::string>());
    }
  }

  const std::function<void(const toml::table&, const std::string&)> walk = [&](const toml::table& t,
                                                                                 const std::string& prefix) {
    for (const auto& [k, node] : t) {
      const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (key == "language") {
        continue;
      }
      if (const auto* s = node.as_string()) {
        c.m_texts.emplace(key, s->get());
      } else if (const auto* sub = node.as_table()) {
        if (is_counted(*sub)) {
          auto& forms = c.m_counted[key];
          for (const auto& [category, form] : *sub) {
            forms.emplace(*parse_plural(category.str()), *form.value<std::string>());
          }
        } else {
          walk(*sub, key);
        }
      } else {
        throw ConfigError(fmt::format("{}: {} is neither a text nor a table of texts", origin, key));
      }
    }
  };
  walk(root, "");
  return c;
}

const std::string* Catalogue::text(std::string_view key) const {
  const auto it = m_texts.find(key);
  return it == m_texts.end() ? nullptr : &it->second;
}

const std::map<Plural, std::string>* Catalogue::forms(std::string_view key) const {
  const auto it = m_counted.find(key);
  return it == m_counted.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalogue::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : m_texts) {
    out.push_back(k);
  }
  for (const auto& [k, v] : m_counted) {
    out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Catalogue::same_as_english(std::string_view key) const { return m_same_as_english.count(key) > 0; }

const std::vector<std::string>& languages() {
  static const std::vector<std::string> codes = builtin_codes();
  return codes;
}

std::optional<std::string> parse_language(std::string_view s) {
  const std::string code = util::to_lower(util::trim(s));
  const auto& all = languages();
  if (std::find(all.begin(), all.end(), code) == all.end()) {
    return std::nullopt;
  }
  return code;
}

std::string languages_text(std::string_view last_joiner) {
  const auto& all = languages();
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      out += i + 1 == all.size() ? fmt::format(" {} ", last_joiner) : std::string(", ");
    }
    out += all[i];
  }
  return out;
}

std::string require_language(std::string_view value) {
  if (auto code = parse_language(value)) {
    return *code;
  }
  throw InvalidInput(fmt::format("practice does not write client text in \"{}\"", value),
                     fmt::format("use one of {}", languages_text()));
}

const Catalogue& catalogue(std::string_view lang) {
  if (const auto* c = find_builtin(lang)) {
    return *c;
  }
  const auto* english = find_builtin(k_english);
  if (!english) {
    throw InternalError("this build has no English catalogue (share/practice/i18n/en.toml)");
  }
  return *english;
}

std::string text(std::string_view lang, std::string_view key) {
  if (const auto* t = catalogue(lang).text(key)) {
    return *t;
  }
  if (const auto* t = catalogue(k_english).text(key)) {
    return *t;
  }
  throw InternalError(fmt::format("the catalogue has no text {}", key));
}

std::string say(std::string_view lang, std::string_view key, const nlohmann::json& args, util::Escape escape) {
  return render(lang, key, text(lang, key), args, escape);
}

std::string say_count(std::string_view lang, std::string_view key, int64_t n, nlohmann::json args,
                      util::Escape escape) {
  const Catalogue* c = &catalogue(lang);
  const auto* forms = c->forms(key);
  if (!forms) {
    c = &catalogue(k_english);
    forms = c->forms(key);
  }
  if (!forms) {
    throw InternalError(fmt::format("the catalogue has no counted text {}", key));
  }
  auto form = forms->find(plural_of(c->conventions().plural, n));
  if (form == forms->end()) {
    form = forms->find(Plural::other);
  }
  args["n"] = std::to_string(n);
  return render(c->code(), key, form->second, args, escape);
}

std::string localize(std::string_view source, std::string_view lang, std::string_view origin, Missing missing) {
  static constexpr std::string_view k_open = "{{t:";
  std::string out;
  out.reserve(source.size() + source.size() / 2);
  size_t pos = 0;
  for (auto at = source.find(k_open); at != std::string_view::npos; at = source.find(k_open, pos)) {
    const auto end = source.find("}}", at);
    if (end == std::string_view::npos) {
      throw ConfigError(fmt::format("{}: a {{{{t:...}}}} is not closed", origin));
    }
    const std::string_view key = util::trim(source.substr(at + k_open.size(), end - at - k_open.size()));
    const std::string* found = catalogue(lang).text(key);
    if (!found && missing == Missing::refuse && lang != k_english) {
      throw ConfigError(fmt::format("{}: the {} catalogue has no text {}", origin, lang, key));
    }
    if (!found) {
      found = catalogue(k_english).text(key);
    }
    if (!found) {
      throw ConfigError(fmt::format("{}: no catalogue has a text {}{}", origin, key,
                                    catalogue(k_english).forms(key) ? " (it is counted: the code says it)" : ""));
    }
    out.append(source.substr(pos, at - pos)).append(*found);
    pos = end + 2;
  }
  out.append(source.substr(pos));
  return out;
}

std::string format_date(std::string_view lang, std::chrono::sys_days d) {
  return format_date(catalogue(lang).conventions(), d);
}

std::string format_number(std::string_view lang, std::string_view canonical) {
  return format_number(catalogue(lang).conventions(), canonical);
}

} // namespace practice::i18n
