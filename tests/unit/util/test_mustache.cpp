#include "practice/error.hpp"
#include "practice/util/mustache.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::util;
using nlohmann::json;

TEST_CASE("a parsed template renders each time with that time's data, as render_mustache does") {
  const std::string text = "<p>{{name}}</p>{{#items}}<i>{{.}}</i>{{/items}}{{^items}}none{{/items}}{{{raw}}}";
  MustacheTemplate parsed(text, Escape::html, "t.mustache");
  const json first = {{"name", "A & B"}, {"items", {"1", "2"}}, {"raw", "<b>"}};
  const json second = {{"name", "C"}, {"items", json::array()}, {"raw", ""}};
  CHECK(parsed.render(first) == "<p>A &amp; B</p><i>1</i><i>2</i><b>");
  CHECK(parsed.render(second) == "<p>C</p>none");
  CHECK(parsed.render(first) == render_mustache(text, first, Escape::html, "t.mustache"));
  // Moved, it still renders (the portal keeps them in a map).
  MustacheTemplate moved(std::move(parsed));
  CHECK(moved.render(second) == "<p>C</p>none");
}

TEST_CASE("a template without escaping leaves text as it is") {
  MustacheTemplate parsed("{{x}}", Escape::none, "mail.txt");
  CHECK(parsed.render(json{{"x", "a < b"}}) == "a < b");
}

TEST_CASE("a broken template is refused naming where it came from") {
  CHECK_THROWS_WITH(MustacheTemplate("{{#open}} never closed", Escape::html, "page.mustache"),
                    Catch::Contains("page.mustache is not a valid mustache template"));
}
