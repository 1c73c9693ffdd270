-- GET /v1/user_profiles/{id}: each thread walks the ID list from its own starting point.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local ids, next_index

function init(_args)
  ids = load_ids()
  next_index = (thread_index or 0) * 7919
end

function request()
  next_index = next_index + 1
  local id = ids[next_index % #ids + 1]
  return wrk.format("GET", "/v1/user_profiles/" .. id .. "?beta=true", headers)
end
