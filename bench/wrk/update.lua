-- POST /v1/user_profiles/{id}: a metadata merge that really changes the row (a new `seats` value each time).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local ids, next_index
local count = 0

function init(_args)
  ids = load_ids()
  next_index = (thread_index or 0) * 7919
  headers["content-type"] = "application/json"
end

function request()
  next_index = next_index + 1
  count = count + 1
  local id = ids[next_index % #ids + 1]
  local body = string.format('{"metadata": {"plan": "team", "seats": "%d"}}', count)
  return wrk.format("POST", "/v1/user_profiles/" .. id .. "?beta=true", headers, body)
end
