#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/mail/templates.hpp"
#include "practice/util/mustache.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace practice::portal {
// Generated from share/practice/portal/ (src/CMakeLists.txt).
std::optional<std::string_view> portal_asset(std::string_view name);
std::vector<std::string> portal_asset_names();
} // namespace practice::portal

using namespace practice;
using namespace practice::i18n;
using nlohmann::json;

namespace {

// The {{names}} a text uses (the count, {{n}}, aside).
std::set<std::string> names_in(const std::string& text) {
  std::set<std::string> out;
  for (auto at = text.find("{{"); at != std::string::npos; at = text.find("{{", at + 2)) {
    const auto end = text.find("}}", at);
    REQUIRE(end != std::string::npos);
    const std::string name = text.substr(at + 2, end - at - 2);
    if (name != "n") {
      out.insert(name);
    }
  }
  return out;
}

// The HTML tags a text uses, in order.
std::vector<std::string> tags_in(const std::string& text) {
  std::vector<std::string> out;
  for (auto at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1)) {
    out.push_back(text.substr(at, text.find('>', at) - at + 1));
  }
  return out;
}

// Every form of a key, or its one text.
std::vector<std::string> forms_of(const Catalogue& c, const std::string& key) {
  if (const auto* t = c.text(key)) {
    return {*t};
  }
  std::vector<std::string> out;
  for (const auto& [p, f] : *c.forms(key)) {
    out.push_back(f);
  }
  return out;
}

// Whether a text has words outside its {{names}}: a Latin letter ("{{firm_name}}:
// {{title}}" and "“{{prompt}}”" have none; quotes and dots are not words).
bool has_words(const std::string& text) {
  bool inside = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (text.compare(i, 2, "{{") == 0) {
      inside = true;
    } else if (text.compare(i, 2, "}}") == 0) {
      inside = false;
      ++i;
    } else if (!inside && std::isalpha(c)) {
      return true;
    } else if (!inside && (c & 0xe0) == 0xc0 && i + 1 < text.size()) {
      // Two-byte UTF-8: U+0080..U+07FF; the letters are U+00C0 and up (À..ț),
      // bar the signs × and ÷.
      const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3fu);
      if (cp >= 0xc0 && cp != 0xd7 && cp != 0xf7) {
        return true;
      }
    }
  }
  return false;
}

// What the client-facing mail templates are given (see requests.cpp, approvals.cpp, portal_access.cpp).
json mail_data() {
  return {{"firm_name", "Acme CPA"},
          {"recipient_name", "Maria"},
          {"on_behalf_of", "São Paulo Ltda"},
          {"title", "Missing receipts"},
          {"message", "Thanks!"},
          {"question_count", "2"},
          {"question_count_text", "2 questions"},
          {"questions", {{{"number", "1"}, {"prompt", "Receipts"}, {"required", false}, {"options", "a / b"}}}},
          {"sent_on", "02/03/2026"},
          {"link", "https://portal.acme.test/r/abc"},
          {"link_until", "31/03/2026"},
          {"document", "2025 return.pdf"},
          {"description", "Signed"},
          {"code", "123456"},
          {"minutes", "10"},
          {"minutes_text", "10 minutes"},
          // The staff templates' values.
          {"account", "Ionescu"}, {"submitted_by", "Maria"}, {"request_id", "12"},
          {"answers", json::array()}, {"decision", "Approved"}, {"decision_lower", "approved"},
          {"decided_by", "Maria"}, {"reasons", {"wrong year"}}, {"comment", "see p. 2"},
          {"approval_id", "3"}, {"subject", "s"}, {"body", "b"}, {"to", "x@y.test"}};
}

} // namespace

TEST_CASE("the languages are en first, then each built-in catalogue", "[i18n]") {
  CHECK(languages() == std::vector<std::string>{"en", "it", "pt", "ro"});
  CHECK(parse_language(" PT ") == std::optional<std::string>("pt"));
  CHECK_FALSE(parse_language("de").has_value());
  CHECK(languages_text() == "en, it, pt or ro");
  CHECK(catalogue("ro").name() == "Română");
  CHECK(catalogue("xx").code() == "en");
}

// The completeness test: a language is done when it says everything English
// says, with the same values, the forms its plural rule needs, and in its own words.
TEST_CASE("every catalogue has every text English has, and no other", "[i18n]") {
  const Catalogue& en = catalogue("en");
  const auto keys = en.keys();
  REQUIRE(keys.size() > 100);
  for (const auto& lang : languages()) {
    const Catalogue& c = catalogue(lang);
    INFO(lang);
    CHECK(c.keys() == keys); // a key missing or left over shows here
    for (const auto& key : keys) {
      INFO(key);
      if (!c.forms(key) && !c.text(key)) {
        FAIL_CHECK("the " << lang << " catalogue has no " << key);
        continue;
      }
      if (en.forms(key)) {
        REQUIRE(c.forms(key));
        std::vector<Plural> have;
        for (const auto& [p, f] : *c.forms(key)) {
          have.push_back(p);
        }
        CHECK(have == plural_forms(c.conventions().plural));
      } else {
        REQUIRE(c.text(key));
      }
      std::set<std::string> want_names;
      std::set<std::string> have_names;
      for (const auto& f : forms_of(en, key)) {
        const auto n = names_in(f);
        want_names.insert(n.begin(), n.end());
      }
      for (const auto& f : forms_of(c, key)) {
        const auto n = names_in(f);
        have_names.insert(n.begin(), n.end());
        CHECK(tags_in(f) == tags_in(forms_of(en, key).back()));
        if (key.rfind("portal.", 0) == 0) {
          CHECK(f.find('"') == std::string::npos); // portal texts go into HTML attributes too
        }
      }
      CHECK(have_names == want_names);
      if (lang != "en" && !c.same_as_english(key)) {
        // Translated, not copied: only what has no words may read as in English.
        const auto mine = forms_of(c, key);
        const auto english = forms_of(en, key);
        CHECK_FALSE((mine == english && has_words(mine.front())));
      }
    }
  }
}

TEST_CASE("every client mail template renders in every language from its own catalogue", "[i18n]") {
  const json data = mail_data();
  for (const auto& lang : languages()) {
    for (const auto& name : mail::builtin_template_names()) {
      INFO(lang << " " << name);
      const auto text = mail::render_mail_template(name, lang, data, std::nullopt, Missing::refuse);
      CHECK_FALSE(text.subject.empty());
      CHECK(text.body.find("{{") == std::string::npos);
      CHECK(text.body.find("\n\n\n") == std::string::npos);
    }
  }
  const auto pt = mail::render_mail_template("request_sent", "pt", data, std::nullopt, Missing::refuse);
  CHECK(pt.subject == "Acme CPA: Missing receipts (São Paulo Ltda)");
  CHECK(pt.body.find("Olá, Maria,") != std::string::npos);
  CHECK(pt.body.find("Em nome do cliente São Paulo Ltda") != std::string::npos);
  CHECK(pt.body.find("(opcional)") != std::string::npos);
  CHECK(pt.body.find("O link funciona até 31/03/2026.") != std::string::npos);
  json unnamed = data;
  unnamed["recipient_name"] = nullptr;
  unnamed["on_behalf_of"] = nullptr;
  const auto ro = mail::render_mail_template("reminder", "ro", unnamed, std::nullopt, Missing::refuse);
  CHECK(ro.subject == "Memento: Missing receipts");
  CHECK(ro.body.rfind("Bună ziua,\n", 0) == 0);
  CHECK(ro.body.find("prima dată pe 02.03.2026") == std::string::npos); // sent_on is given as written
  CHECK(ro.body.find("prima dată pe 02/03/2026") != std::string::npos);
}

TEST_CASE("every portal page localizes in every language, and stays a valid template", "[i18n]") {
  for (const auto& name : portal::portal_asset_names()) {
    if (name.size() < 9 || name.compare(name.size() - 9, 9, ".mustache") != 0) {
      continue;
    }
    const std::string source(*portal::portal_asset(name));
    for (const auto& lang : languages()) {
      INFO(lang << " " << name);
      const std::string page = localize(source, lang, name, Missing::refuse);
      CHECK(page.find("{{t:") == std::string::npos);
      CHECK_NOTHROW(util::MustacheTemplate(page, util::Escape::html, name));
    }
  }
}

TEST_CASE("a template naming a text no catalogue has is refused, naming it", "[i18n]") {
  CHECK_THROWS_WITH(localize("<p>{{t:portal.nothing_here}}</p>", "pt", "page.mustache"),
                    Catch::Contains("page.mustache: no catalogue has a text portal.nothing_here"));
  CHECK_THROWS_WITH(localize("{{t:count.questions}}", "en", "m"), Catch::Contains("counted"));
  CHECK_THROWS_AS(localize("{{t:portal.yes", "en", "m"), ConfigError);
  CHECK(localize("{{t:portal.yes}} / {{t:portal.no}}", "ro", "m") == "Da / Nu");
}

TEST_CASE("counted texts take the form their language's rule picks", "[i18n]") {
  CHECK(say_count("en", "count.questions", 1) == "1 question");
  CHECK(say_count("pt", "count.questions", 1) == "1 pergunta");
  CHECK(say_count("pt", "count.questions", 2) == "2 perguntas");
  CHECK(say_count("ro", "count.questions", 1) == "1 întrebare");
  CHECK(say_count("ro", "count.questions", 19) == "19 întrebări");
  CHECK(say_count("ro", "count.questions", 20) == "20 de întrebări");
  CHECK(say_count("ro", "count.questions", 101) == "101 întrebări");
  CHECK(say_count("it", "count.minutes", 10) == "10 minuti");
  CHECK(say("it", "mail.approval_of", {{"document", "Bilancio"}}) == "approvazione di «Bilancio»");
  CHECK(format_date("it", std::chrono::sys_days{std::chrono::year{2026} / 3 / 31}) == "31/03/2026");
  CHECK_THROWS_AS(text("pt", "no.such.key"), InternalError);
}

TEST_CASE("a catalogue that is not one is refused, saying where", "[i18n]") {
  CHECK_THROWS_WITH(Catalogue::parse("xx", "[mail]\ngreeting = \"Hi\"\n", "xx.toml"),
                    Catch::Contains("xx.toml has no [language] table"));
  CHECK_THROWS_WITH(Catalogue::parse("xx", "[language]\nname = \"X\"\nplural = \"french\"\n", "xx.toml"),
                    Catch::Contains("not a rule practice knows"));
  CHECK_THROWS_WITH(Catalogue::parse("xx", "[language]\nname = \"X\"\ndate = \"MM/DD\"\n", "xx.toml"),
                    Catch::Contains("not a date pattern"));
  CHECK_THROWS_WITH(Catalogue::parse("xx", "[language]\nname = \"X\"\n[a]\nb = 3\n", "xx.toml"),
                    Catch::Contains("a.b is neither a text nor a table of texts"));
  const auto c = Catalogue::parse("xx", "[language]\nname = \"X\"\n[a]\nb = \"B\"\nc = { one = \"1\", other = \"{{n}}\" }\n",
                                  "xx.toml");
  CHECK(c.keys() == std::vector<std::string>{"a.b", "a.c"});
  CHECK(*c.text("a.b") == "B");
  CHECK(c.forms("a.c")->size() == 2);
  CHECK(c.text("a.c") == nullptr);
}
