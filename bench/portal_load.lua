-- wrk script for bench/portal.py: client-portal page views and autosaves.
-- Usage: wrk -t THREADS -s bench/portal_load.lua URL -- LINKS_FILE MODE THREADS
--   LINKS_FILE: one "TOKEN CSRF" line per link (as bench/portal.py writes it)
--   MODE: page (GET /r/TOKEN) or save (POST /r/TOKEN/answers/N with
--   Accept: application/json, a form body csrf=...&value=...)
--   THREADS: wrk's -t again (a thread's script cannot see it)
-- Each thread takes every THREADS-th link and walks through them in turn, so
-- no two threads share a link. When done, prints one line "BENCH {json}" with the
-- figures bench/portal.py reads: requests, duration, p50/p99 latency (us),
-- socket errors and a count per status code.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

-- Answers that validate for the questions bench/portal.py creates:
-- 1 text, 2 paragraph, 3 number, 4 yesno.
local answers = {
  function(i) return "Employer+" .. i end,
  function(i) return "Line+one%0ALine+two+" .. i end,
  function(i) return tostring(i % 7) end,
  function(i) return (i % 2 == 0) and "yes" or "no" end,
}

local reqs = {}
local n = 0
codes = {}
bad_body = 0

function init(args)
  local file, mode = args[1], args[2] or "page"
  local nthreads = tonumber(args[3] or "1")
  local links = {}
  for line in io.lines(file) do
    local token, csrf = line:match("^(%S+)%s+(%S+)$")
    if token then table.insert(links, {token, csrf}) end
  end
  local post_headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }
  local i = 0
  for k, l in ipairs(links) do
    if (k - 1) % nthreads == id - 1 then
      i = i + 1
      local token, csrf = l[1], l[2]
      local q = (i % 4) + 1
      local save = wrk.format("POST", "/r/" .. token .. "/answers/" .. q, post_headers,
                              "csrf=" .. csrf .. "&value=" .. answers[q](i))
      local page = wrk.format("GET", "/r/" .. token)
      table.insert(reqs, mode == "save" and save or page)
    end
  end
  if #reqs == 0 then error("no links for thread " .. id .. " in " .. file) end
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 200 and headers["Content-Type"] == "application/json" and not body:find('"ok":true', 1, true) then
    bad_body = bad_body + 1
  end
end

function done(summary, latency, requests)
  local all, bad = {}, 0
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("codes")) do
      all[code] = (all[code] or 0) + count
    end
    bad = bad + t:get("bad_body")
  end
  local parts = {}
  for code, count in pairs(all) do
    table.insert(parts, string.format('"%d":%d', code, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"bad_body":%d,"codes":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, bad,
    table.concat(parts, ",")))
end
