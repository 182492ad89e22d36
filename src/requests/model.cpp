#include "practice/requests/model.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

namespace practice::requests {

namespace {

constexpr QuestionType k_types[] = {QuestionType::text,   QuestionType::paragraph,
                                    QuestionType::yesno,  QuestionType::choice,
                                    QuestionType::multichoice, QuestionType::date,
                                    QuestionType::number, QuestionType::file};

constexpr Status k_statuses[] = {Status::draft,     Status::pending,   Status::in_progress,
                                 Status::submitted, Status::completed, Status::cancelled};

bool has_options(QuestionType t) {
  return t == QuestionType::choice || t == QuestionType::multichoice;
}

std::string match_option(const Question& q, const std::string& value) {
  for (const auto& o : q.options) {
    if (util::to_lower(o) == util::to_lower(util::trim(value))) {
      return o;
    }
  }
  std::string list;
  for (const auto& o : q.options) {
    list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", o);
  }
  throw InvalidAnswer(AnswerProblem::not_an_option, value,
                      fmt::format("\"{}\" is not an option of question {}; the options are {}", value, q.position,
                                  list));
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n\v\f") != std::string_view::npos || s.find("\xc2\x85") != std::string_view::npos ||
         s.find("\xe2\x80\xa8") != std::string_view::npos || s.find("\xe2\x80\xa9") != std::string_view::npos;
}

// An answer's text as require_line or require_text checks it, refused as an InvalidAnswer.
std::string checked_text(std::string_view what, const std::string& value, size_t max_length, bool breaks) {
  try {
    return breaks ? util::require_text(what, value, max_length) : util::require_line(what, value, max_length);
  } catch (const InvalidAnswer&) {
    throw;
  } catch (const InvalidInput& e) {
    const std::string_view t = util::trim(value);
    const AnswerProblem p = t.empty()                         ? AnswerProblem::empty
                            : !breaks && has_line_break(value) ? AnswerProblem::line_break
                            : t.size() > max_length            ? AnswerProblem::too_long
                                                               : AnswerProblem::bad_characters;
    throw InvalidAnswer(p, value, e.what(), e.hint());
  }
}

} // namespace

std::string_view to_string(AnswerProblem p) {
  switch (p) {
  case AnswerProblem::empty:
    return "empty";
  case AnswerProblem::too_long:
    return "too_long";
  case AnswerProblem::line_break:
    return "line_break";
  case AnswerProblem::bad_characters:
    return "bad_characters";
  case AnswerProblem::not_yes_no:
    return "not_yes_no";
  case AnswerProblem::not_an_option:
    return "not_an_option";
  case AnswerProblem::not_a_date:
    return "not_a_date";
  case AnswerProblem::not_a_number:
    return "not_a_number";
  case AnswerProblem::wrong_count:
    return "wrong_count";
  case AnswerProblem::needs_file:
    return "needs_file";
  }
  return "empty";
}

std::string_view to_string(QuestionType t) {
  switch (t) {
  case QuestionType::text:
    return "text";
  case QuestionType::paragraph:
    return "paragraph";
  case QuestionType::yesno:
    return "yesno";
  case QuestionType::choice:
    return "choice";
  case QuestionType::multichoice:
    return "multichoice";
  case QuestionType::date:
    return "date";
  case QuestionType::number:
    return "number";
  case QuestionType::file:
    return "file";
  }
  return "text";
}

std::optional<QuestionType> parse_question_type(std::string_view s) {
  for (const auto t : k_types) {
    if (to_string(t) == s) {
      return t;
    }
  }
  return std::nullopt;
}

std::string_view to_string(Status s) {
  switch (s) {
  case Status::draft:
    return "draft";
  case Status::pending:
    return "pending";
  case Status::in_progress:
    return "in_progress";
  case Status::submitted:
    return "submitted";
  case Status::completed:
    return "completed";
  case Status::cancelled:
    return "cancelled";
  }
  return "draft";
}

std::optional<Status> parse_status(std::string_view s) {
  for (const auto st : k_statuses) {
    if (to_string(st) == s) {
      return st;
    }
  }
  return std::nullopt;
}

bool questions_editable(Status s) { return s == Status::draft || s == Status::pending; }

bool accepts_answers(Status s) { return s == Status::pending || s == Status::in_progress; }

bool links_active(Status s) { return s == Status::pending || s == Status::in_progress; }

void validate_question(const Question& q) {
  util::require_line("the question's prompt", q.prompt, 500);
  if (has_options(q.type)) {
    std::set<std::string> distinct;
    for (const auto& o : q.options) {
      distinct.insert(util::to_lower(util::require_line("an option", o, 200)));
    }
    if (distinct.size() < 2) {
      throw InvalidInput(fmt::format("a {} question needs at least two distinct options",
                                     to_string(q.type)),
                         "add them with --option A --option B");
    }
    if (distinct.size() != q.options.size()) {
      throw InvalidInput("the options of a question must differ from each other");
    }
  } else if (!q.options.empty()) {
    throw InvalidInput(fmt::format("a {} question takes no options", to_string(q.type)));
  }
}

std::string normalize_answer(const Question& q, const std::vector<std::string>& values) {
  const std::string what = fmt::format("the answer to question {}", q.position);
  if (q.type == QuestionType::file) {
    throw InvalidAnswer(AnswerProblem::needs_file, "", fmt::format("question {} asks for a file", q.position),
                        "answer it with --file PATH");
  }
  if (q.type != QuestionType::multichoice && values.size() != 1) {
    throw InvalidAnswer(AnswerProblem::wrong_count, "",
                        fmt::format("question {} takes exactly one --value", q.position));
  }
  if (values.empty()) {
    throw InvalidAnswer(AnswerProblem::wrong_count, "",
                        fmt::format("question {} needs at least one --value", q.position));
  }
  switch (q.type) {
  case QuestionType::text:
    return nlohmann::json(checked_text(what, values[0], 1000, false)).dump();
  case QuestionType::paragraph:
    return nlohmann::json(checked_text(what, values[0], 20000, true)).dump();
  case QuestionType::yesno: {
    const std::string l = util::to_lower(util::trim(values[0]));
    if (l == "yes" || l == "y" || l == "true") {
      return nlohmann::json("yes").dump();
    }
    if (l == "no" || l == "n" || l == "false") {
      return nlohmann::json("no").dump();
    }
    throw InvalidAnswer(AnswerProblem::not_yes_no, values[0],
                        fmt::format("question {} takes yes or no, not \"{}\"", q.position, values[0]));
  }
  case QuestionType::choice:
    return nlohmann::json(match_option(q, values[0])).dump();
  case QuestionType::multichoice: {
    std::vector<std::string> chosen;
    for (const auto& v : values) {
      const std::string o = match_option(q, v);
      if (std::find(chosen.begin(), chosen.end(), o) == chosen.end()) {
        chosen.push_back(o);
      }
    }
    return nlohmann::json(chosen).dump();
  }
  case QuestionType::date: {
    const auto d = util::parse_date(util::trim(values[0]));
    if (!d) {
      throw InvalidAnswer(AnswerProblem::not_a_date, values[0],
                          fmt::format("question {} takes a date such as 2026-03-01, not \"{}\"", q.position,
                                      values[0]));
    }
    return nlohmann::json(util::format_date(*d)).dump();
  }
  case QuestionType::number: {
    const std::string t(util::trim(values[0]));
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (t.empty() || used != t.size() || !std::isfinite(v) ||
        t.find_first_not_of("0123456789.-+eE") != std::string::npos) {
      throw InvalidAnswer(AnswerProblem::not_a_number, values[0],
                          fmt::format("question {} takes a number, not \"{}\"", q.position, values[0]));
    }
    return nlohmann::json(t).dump();
  }
  case QuestionType::file:
    break;
  }
  throw InvalidInput("unsupported question type");
}

std::vector<int> missing_required(const std::vector<Question>& questions,
                                  const std::vector<std::optional<Answer>>& answers) {
  std::vector<int> missing;
  for (size_t i = 0; i < questions.size(); ++i) {
    const bool answered = i < answers.size() && answers[i].has_value() &&
                          (questions[i].type != QuestionType::file || !answers[i]->files.empty());
    if (questions[i].required && !answered) {
      missing.push_back(questions[i].position);
    }
  }
  return missing;
}

} // namespace practice::requests
