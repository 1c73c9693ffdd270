-- Shared by every scenario: request headers from the environment, a list of profile IDs,
-- a count of non-200 responses per thread, and one machine-readable summary line at the end.
-- A scenario file runs `dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")` and defines request().

headers = {
  ["x-api-key"] = os.getenv("BENCH_KEY") or "",
  ["anthropic-version"] = "2023-06-01",
  ["anthropic-beta"] = "user-profiles-2026-03-24",
}

-- The profile IDs in the file named by BENCH_IDS, one a line.
function load_ids()
  local ids = {}
  local path = os.getenv("BENCH_IDS")
  if path then
    for line in io.lines(path) do
      if #line > 0 then ids[#ids + 1] = line end
    end
  end
  return ids
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

non200 = 0
first_bad = ""

-- Defining response() makes wrk hand every reply to Lua: the price of counting non-200 exactly.
function response(status, _headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, _requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non200") or 0)
    local seen = thread:get("first_bad") or ""
    if sample == "" then sample = seen end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"mean_us": %.1f, "max_us": %d, "non200": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"sample": %s}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max, bad, e.connect, e.read, e.write, e.timeout, json_string(sample)))
end
