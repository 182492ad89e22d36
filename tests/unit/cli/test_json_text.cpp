#include "cli/json_text.hpp"

#include <catch2/catch.hpp>

#include <limits>

using json = nlohmann::ordered_json;

namespace {

std::string nlohmann_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string our_text(const json& j) {
  std::string out = "kept;";
  practice::cli::append_json(out, j);
  REQUIRE(out.rfind("kept;", 0) == 0);
  return out.substr(5);
}

} // namespace

TEST_CASE("compact JSON text is byte for byte nlohmann's") {
  const char* strings[] = {
      "",
      "plain words 123",
      "O'Brien & \"Sons\" \\ Co",
      "tab\there, line\nbreak, bell\x07, nul\x01, del\x7f",
      "Ionescu Familie \xc3\xa9\xe2\x82\xac \xf0\x9f\x93\x8e",
      "broken \xff\xfe utf-8 \xc3",
      "{\"to\":[\"a@b.test\"]}",
  };
  json all = json::array();
  for (const char* s : strings) {
    CHECK(our_text(json(s)) == nlohmann_text(json(s)));
    json o = json::object();
    o[s] = s; // keys are escaped as strings are
    CHECK(our_text(o) == nlohmann_text(o));
    all.push_back(s);
  }
  for (const json& v : {json(nullptr), json(true), json(false), json(0), json(-42), json(int64_t{9007199254740993}),
                        json(std::numeric_limits<int64_t>::min()), json(uint64_t{18446744073709551615ULL}),
                        json(1.5), json(2.0), json(-0.0), json(1e300), json(0.1),
                        json(std::numeric_limits<double>::quiet_NaN()), json::array(), json::object()}) {
    CHECK(our_text(v) == nlohmann_text(v));
    all.push_back(v);
  }
  json nested = {{"id", 7}, {"items", all}, {"assignee", {{"id", 1}, {"name", "Alice \"Al\""}, {"email", nullptr}}},
                 {"empty", json::object()}, {"none", json::array()}};
  CHECK(our_text(nested) == nlohmann_text(nested));
}
