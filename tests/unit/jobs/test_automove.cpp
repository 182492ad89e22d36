#include "practice/jobs/model.hpp"

#include <catch2/catch.hpp>

using namespace practice::jobs;

namespace {
LinkedItem item(int64_t stage, ItemState s) {
  LinkedItem i;
  i.kind = "request";
  i.stage_id = stage;
  i.state = s;
  return i;
}
Stage stage(int64_t id, bool automove) {
  Stage s;
  s.id = id;
  s.automove = automove;
  return s;
}
} // namespace

TEST_CASE("automove: all done in the stage moves; anything waiting holds") {
  const Stage st = stage(2, true);
  CHECK(should_automove(st, false, {item(2, ItemState::done)}));
  CHECK(should_automove(st, false, {item(2, ItemState::done), item(2, ItemState::cancelled)}));
  CHECK_FALSE(should_automove(st, false, {item(2, ItemState::done), item(2, ItemState::waiting)}));
}

TEST_CASE("automove: an empty stage, a stage of only cancelled items, and other stages' items do not move") {
  const Stage st = stage(2, true);
  CHECK_FALSE(should_automove(st, false, {}));
  CHECK_FALSE(should_automove(st, false, {item(2, ItemState::cancelled)}));
  CHECK_FALSE(should_automove(st, false, {item(1, ItemState::done)}));
  CHECK(should_automove(st, false, {item(1, ItemState::waiting), item(2, ItemState::done)}));
}

TEST_CASE("automove: off, or the last stage, never moves") {
  CHECK_FALSE(should_automove(stage(2, false), false, {item(2, ItemState::done)}));
  CHECK_FALSE(should_automove(stage(2, true), true, {item(2, ItemState::done)}));
}

TEST_CASE("blockers are the waiting items of the current stage") {
  const auto b = blockers({item(1, ItemState::waiting), item(2, ItemState::waiting), item(2, ItemState::done),
                           item(2, ItemState::cancelled)},
                          2);
  CHECK(b.size() == 1);
}

TEST_CASE("request states for automove") {
  using practice::requests::Status;
  CHECK(request_item_state(Status::submitted) == ItemState::done);
  CHECK(request_item_state(Status::completed) == ItemState::done);
  CHECK(request_item_state(Status::cancelled) == ItemState::cancelled);
  CHECK(request_item_state(Status::in_progress) == ItemState::waiting);
  CHECK(request_waiting_for(Status::in_progress, 2, 5) == "the client to finish and submit (2/5 answered)");
}
