#pragma once

#include "practice/util/time.hpp"

namespace practice::util {

// The one source of "now" for all code, so tests and demos can move time.
class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The machine's clock.
class SystemClock final : public Clock {
public:
  TimePoint now() const override;
};

// A clock that stands still at the time it was given (--now, PRACTICE_NOW, tests).
class FixedClock final : public Clock {
public:
  explicit FixedClock(TimePoint t) : m_now(t) {}
  TimePoint now() const override { return m_now; }
  void set(TimePoint t) { m_now = t; }

private:
  TimePoint m_now;
};

} // namespace practice::util
