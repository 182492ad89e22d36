#pragma once

#include "practice/audit/actor.hpp"
#include "practice/error.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::requests {

enum class QuestionType { text, paragraph, yesno, choice, multichoice, date, number, file };
std::string_view to_string(QuestionType t);
std::optional<QuestionType> parse_question_type(std::string_view s);
inline constexpr std::string_view k_question_types =
    "text, paragraph, yesno, choice, multichoice, date, number, file";

enum class Status { draft, pending, in_progress, submitted, completed, cancelled };
std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view s);

struct Question {
  int64_t id = 0;
  int position = 0; // 1-based, as `request show` lists them
  QuestionType type = QuestionType::text;
  std::string prompt;
  std::vector<std::string> options; // choice and multichoice
  bool required = true;
};

struct Reminders {
  bool on = true;
  int every_days = 3;
  int count = 1;
};

// A request template or a request file: what `template add --file` reads.
struct Definition {
  std::string name; // templates only; defaults to the title
  std::string title;
  std::optional<std::string> message;
  bool login = true;
  std::optional<Reminders> reminders; // absent: the firm's defaults
  std::vector<Question> questions;
};

struct Recipient {
  int64_t id = 0;
  std::optional<int64_t> contact_id; // none: a third party
  std::string name;
  std::string email;
  int64_t generation = 1; // bumped by relink: old links stop working
  // The language they read: a third party's as given (--language), a
  // contact's from the contact; nullopt: the firm's.
  std::optional<std::string> language;
};

struct AttachedFile {
  int64_t id = 0;
  std::string sha256;
  std::string name; // the original file name, metadata only
  int64_t size = 0;
  util::TimePoint uploaded_at;
};

struct Answer {
  std::string value; // JSON text: a string, or an array for multichoice and file
  audit::Person answered_by;
  util::TimePoint answered_at;
  std::vector<AttachedFile> files;
};

struct Request {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string account_name;
  std::optional<std::string> template_name;
  std::string title;
  std::optional<std::string> message;
  bool login = true;
  Status status = Status::draft;
  Reminders reminders;
  int reminders_sent = 0;
  std::optional<util::TimePoint> last_notified_at;
  audit::Person created_by;
  util::TimePoint created_at;
  std::optional<util::TimePoint> sent_at;
  std::optional<util::TimePoint> submitted_at;
  std::optional<util::TimePoint> completed_at;
  std::optional<util::TimePoint> cancelled_at;
  std::optional<std::string> cancel_reason;
  util::TimePoint last_activity_at;
  std::vector<Question> questions;
  std::vector<Recipient> recipients;
  std::vector<std::optional<Answer>> answers; // parallel to questions
  int answered = 0;                           // for lists: answered questions
  int question_count = 0;
};

// Rules, pure functions of a request's state.

// Questions and recipients change only before the client starts (draft, pending).
bool questions_editable(Status s);
// Answers are taken while pending or in progress.
bool accepts_answers(Status s);
// Links work only while the request awaits the client.
bool links_active(Status s);

// Checks a question as it would be saved: prompt, options for choices (at
// least two distinct), none for other types. Throws InvalidInput.
void validate_question(const Question& q);

// Why an answer was refused, for a client's own words about it (the portal's).
enum class AnswerProblem {
  empty,
  too_long,
  line_break,     // in a one-line answer
  bad_characters, // control characters or invalid UTF-8
  not_yes_no,
  not_an_option,
  not_a_date,
  not_a_number,
  wrong_count,    // several values where one is taken, or none
  needs_file,     // a file question answered with values
};
std::string_view to_string(AnswerProblem p);

// An answer refused: what() says it for staff, problem() which rule it
// broke, value() the value that broke it (empty where none did).
class InvalidAnswer : public InvalidInput {
public:
  InvalidAnswer(AnswerProblem problem, std::string value, std::string message, std::string hint = {})
      : InvalidInput(std::move(message), std::move(hint)), m_problem(problem), m_value(std::move(value)) {}
  AnswerProblem problem() const { return m_problem; }
  const std::string& value() const { return m_value; }

private:
  AnswerProblem m_problem;
  std::string m_value;
};

// Turns raw answer values (from --value) into the stored JSON text for
// question `q`, or throws InvalidAnswer saying what the type expects. Not for
// file questions.
std::string normalize_answer(const Question& q, const std::vector<std::string>& values);

// The required questions without an answer (by position). Pure.
std::vector<int> missing_required(const std::vector<Question>& questions,
                                  const std::vector<std::optional<Answer>>& answers);

} // namespace practice::requests
