#include "practice/requests/definition.hpp"

#include "practice/error.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>
#include <sstream>

namespace practice::requests {

namespace {

[[noreturn]] void fail(const std::string& origin, std::string_view what) {
  throw InvalidInput(fmt::format("{}: {}", origin, what));
}

void only_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
               const std::string& origin, std::string_view where) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (const auto a : allowed) {
      ok = ok || k.str() == a;
    }
    if (!ok) {
      fail(origin, fmt::format("unknown key '{}{}'", where, k.str()));
    }
  }
}

std::string get_string(const toml::table& t, std::string_view key, const std::string& origin,
                       std::string_view where) {
  const auto* n = t.get(key);
  if (n == nullptr || !n->is_string()) {
    fail(origin, fmt::format("'{}{}' must be a string", where, key));
  }
  return n->as_string()->get();
}

} // namespace

Definition parse_definition(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InvalidInput(fmt::format("{} line {}: {}", origin, e.source().begin.line, e.description()));
  }
  only_keys(root, {"name", "title", "message", "login", "reminders", "question"}, origin, "");
  Definition d;
  d.title = util::require_line("the title", get_string(root, "title", origin, ""), 200);
  if (root.contains("name")) {
    d.name = util::require_line("the template name", get_string(root, "name", origin, ""), 100);
  } else {
    d.name = d.title;
  }
  if (root.contains("message")) {
    d.message = util::require_text("the message", get_string(root, "message", origin, ""), 10000);
  }
  if (const auto* login = root.get("login")) {
    if (!login->is_boolean()) {
      fail(origin, "'login' must be true or false");
    }
    d.login = login->as_boolean()->get();
  }
  if (const auto* rem = root.get("reminders")) {
    if (!rem->is_table()) {
      fail(origin, "'reminders' must be a table");
    }
    const auto& t = *rem->as_table();
    only_keys(t, {"every_days", "count", "enabled"}, origin, "reminders.");
    Reminders r;
    if (const auto* n = t.get("every_days")) {
      if (!n->is_integer() || n->as_integer()->get() < 1 || n->as_integer()->get() > 365) {
        fail(origin, "'reminders.every_days' must be a whole number of days from 1 to 365");
      }
      r.every_days = static_cast<int>(n->as_integer()->get());
    }
    if (const auto* n = t.get("count")) {
      if (!n->is_integer() || n->as_integer()->get() < 0 || n->as_integer()->get() > 100) {
        fail(origin, "'reminders.count' must be a whole number from 0 to 100");
      }
      r.count = static_cast<int>(n->as_integer()->get());
    }
    if (const auto* n = t.get("enabled")) {
      if (!n->is_boolean()) {
        fail(origin, "'reminders.enabled' must be true or false");
      }
      r.on = n->as_boolean()->get();
    }
    d.reminders = r;
  }
  if (const auto* qs = root.get("question")) {
    if (!qs->is_array_of_tables()) {
      fail(origin, "'question' must be a list of [[question]] tables");
    }
    int position = 0;
    for (const auto& node : *qs->as_array()) {
      const auto& t = *node.as_table();
      ++position;
      const std::string where = fmt::format("question {}: ", position);
      only_keys(t, {"type", "prompt", "options", "required"}, origin, where);
      Question q;
      q.position = position;
      const std::string type = get_string(t, "type", origin, where);
      const auto qt = parse_question_type(type);
      if (!qt) {
        fail(origin, fmt::format("{}type \"{}\" is not one of: {}", where, type, k_question_types));
      }
      q.type = *qt;
      q.prompt = get_string(t, "prompt", origin, where);
      if (const auto* opts = t.get("options")) {
        if (!opts->is_array()) {
          fail(origin, fmt::format("{}'options' must be a list of strings", where));
        }
        for (const auto& o : *opts->as_array()) {
          if (!o.is_string()) {
            fail(origin, fmt::format("{}'options' must be a list of strings", where));
          }
          q.options.push_back(o.as_string()->get());
        }
      }
      if (const auto* req = t.get("required")) {
        if (!req->is_boolean()) {
          fail(origin, fmt::format("{}'required' must be true or false", where));
        }
        q.required = req->as_boolean()->get();
      }
      try {
        validate_question(q);
      } catch (const InvalidInput& e) {
        fail(origin, fmt::format("{}{}", where, e.what()));
      }
      d.questions.push_back(std::move(q));
    }
  }
  return d;
}

std::string export_definition(const Definition& d) {
  // Written by hand in the documented key order; every value goes through
  // toml++ so quoting and escapes are right.
  const auto value = [](const auto& v) {
    std::ostringstream s;
    s << toml::value{v};
    return s.str();
  };
  std::string out;
  out += "name = " + value(d.name) + "\n";
  out += "title = " + value(d.title) + "\n";
  if (d.message) {
    out += "message = " + value(*d.message) + "\n";
  }
  out += std::string("login = ") + (d.login ? "true" : "false") + "\n";
  if (d.reminders) {
    out += "\n[reminders]\n";
    out += std::string("enabled = ") + (d.reminders->on ? "true" : "false") + "\n";
    out += fmt::format("every_days = {}\ncount = {}\n", d.reminders->every_days, d.reminders->count);
  }
  for (const auto& q : d.questions) {
    out += "\n[[question]]\n";
    out += "type = " + value(std::string(to_string(q.type))) + "\n";
    out += "prompt = " + value(q.prompt) + "\n";
    if (!q.options.empty()) {
      toml::array opts;
      for (const auto& o : q.options) {
        opts.push_back(o);
      }
      std::ostringstream s;
      s << opts;
      out += "options = " + s.str() + "\n";
    }
    if (!q.required) {
      out += "required = false\n";
    }
  }
  return out;
}

nlohmann::json definition_to_json(const Definition& d) {
  nlohmann::json j;
  j["name"] = d.name;
  j["title"] = d.title;
  j["message"] = d.message ? nlohmann::json(*d.message) : nlohmann::json(nullptr);
  j["login"] = d.login;
  if (d.reminders) {
    j["reminders"] = {{"enabled", d.reminders->on},
                      {"every_days", d.reminders->every_days},
                      {"count", d.reminders->count}};
  } else {
    j["reminders"] = nullptr;
  }
  j["questions"] = nlohmann::json::array();
  for (const auto& q : d.questions) {
    j["questions"].push_back({{"type", to_string(q.type)},
                              {"prompt", q.prompt},
                              {"options", q.options},
                              {"required", q.required}});
  }
  return j;
}

Definition definition_from_json(const nlohmann::json& j) {
  Definition d;
  d.name = j.at("name").get<std::string>();
  d.title = j.at("title").get<std::string>();
  if (!j.at("message").is_null()) {
    d.message = j.at("message").get<std::string>();
  }
  d.login = j.at("login").get<bool>();
  if (!j.at("reminders").is_null()) {
    const auto& r = j.at("reminders");
    d.reminders = Reminders{r.at("enabled").get<bool>(), r.at("every_days").get<int>(),
                            r.at("count").get<int>()};
  }
  int position = 0;
  for (const auto& q : j.at("questions")) {
    Question x;
    x.position = ++position;
    x.type = parse_question_type(q.at("type").get<std::string>()).value_or(QuestionType::text);
    x.prompt = q.at("prompt").get<std::string>();
    x.options = q.at("options").get<std::vector<std::string>>();
    x.required = q.at("required").get<bool>();
    d.questions.push_back(std::move(x));
  }
  return d;
}

} // namespace practice::requests
