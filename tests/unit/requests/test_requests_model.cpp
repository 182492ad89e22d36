#include "practice/error.hpp"
#include "practice/requests/definition.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/model.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::requests;

namespace {
Question q(QuestionType t, std::vector<std::string> options = {}) {
  return Question{0, 1, t, std::string(1, 'Q'), std::move(options), true};
}
} // namespace

TEST_CASE("answers are checked and normalised by question type") {
  CHECK(normalize_answer(q(QuestionType::yesno), {"Y"}) == "\"yes\"");
  CHECK(normalize_answer(q(QuestionType::date), {" 2026-03-01 "}) == "\"2026-03-01\"");
  CHECK(normalize_answer(q(QuestionType::number), {"-12.5"}) == "\"-12.5\"");
  CHECK(normalize_answer(q(QuestionType::choice, {"Yes", "No"}), {"no"}) == "\"No\"");
  CHECK(normalize_answer(q(QuestionType::multichoice, {"A", "B"}), {"b", "A", "B"}) == "[\"B\",\"A\"]");
  CHECK(normalize_answer(q(QuestionType::paragraph), {"two\nlines"}) == "\"two\\nlines\"");
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::text), {"two\nlines"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::yesno), {"maybe"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::date), {"01/03/2026"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::number), {"1e999"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::number), {"nan"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::choice, {"A", "B"}), {"C"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::choice, {"A", "B"}), {"A", "B"}), InvalidInput);
  CHECK_THROWS_AS(normalize_answer(q(QuestionType::file), {"x"}), InvalidInput);
}

TEST_CASE("choices need two distinct options; other types none") {
  CHECK_NOTHROW(validate_question(q(QuestionType::choice, {"A", "B"})));
  CHECK_THROWS_AS(validate_question(q(QuestionType::choice, {"A"})), InvalidInput);
  CHECK_THROWS_AS(validate_question(q(QuestionType::multichoice, {"A", "a"})), InvalidInput);
  CHECK_THROWS_AS(validate_question(q(QuestionType::text, {"A", "B"})), InvalidInput);
}

TEST_CASE("missing required answers are named by position; optional ones are not") {
  std::vector<Question> qs{q(QuestionType::text), q(QuestionType::file), q(QuestionType::text)};
  qs[1].position = 2;
  qs[2].position = 3;
  qs[2].required = false;
  std::vector<std::optional<Answer>> answers(3);
  CHECK(missing_required(qs, answers) == std::vector<int>{1, 2});
  answers[0] = Answer{"\"x\"", {}, {}, {}};
  answers[1] = Answer{"[]", {}, {}, {}}; // a file answer without files is no answer
  CHECK(missing_required(qs, answers) == std::vector<int>{2});
}

TEST_CASE("state rules") {
  CHECK(questions_editable(Status::pending));
  CHECK_FALSE(questions_editable(Status::in_progress));
  CHECK(accepts_answers(Status::in_progress));
  CHECK_FALSE(accepts_answers(Status::submitted));
  CHECK_FALSE(links_active(Status::completed));
}

TEST_CASE("definitions round-trip through TOML") {
  const std::string text = R"(name = "t"
title = "Missing \"quoted\" receipts"
message = "Line one\nLine two"
login = false
[reminders]
every_days = 2
count = 3
[[question]]
type = "choice"
prompt = "Pick"
options = ["A", "B"]
required = false
[[question]]
type = "file"
prompt = "Upload"
)";
  const Definition d = parse_definition(text, "t.toml");
  const std::string out = export_definition(d);
  const Definition again = parse_definition(out, "again.toml");
  CHECK(export_definition(again) == out);
  CHECK(definition_to_json(again) == definition_to_json(d));
  CHECK(again.title == "Missing \"quoted\" receipts");
  CHECK_FALSE(again.login);
  CHECK(again.questions.size() == 2);
  CHECK_FALSE(again.questions[0].required);
}

TEST_CASE("link tokens: 256 bits, bound to request, recipient and generation") {
  const std::string key(32, 'k');
  const auto t1 = link_token(key, 12, 3, "maria@ionescu.test", 1);
  CHECK(t1.size() == 5 + 64); // "12.3." and 64 hex digits
  CHECK(link_token(key, 12, 3, "MARIA@ionescu.test", 1) == t1);
  CHECK(link_token(key, 12, 3, "maria@ionescu.test", 2) != t1);
  CHECK(link_token(key, 13, 3, "maria@ionescu.test", 1) != t1);
  CHECK(link_token(std::string(32, 'x'), 12, 3, "maria@ionescu.test", 1) != t1);
  const auto parts = parse_token(t1);
  REQUIRE(parts);
  CHECK(parts->request_id == 12);
  CHECK(parts->recipient_id == 3);
  CHECK_FALSE(parse_token("12.3.short"));
  CHECK(same_token(t1, t1));
  CHECK_FALSE(same_token(t1, link_token(key, 12, 3, "maria@ionescu.test", 2)));
}
