-- POST /v1/user_profiles/{id}/enrollment_url with no body, as the SDK sends it.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local ids, next_index

function init(_args)
  ids = load_ids()
  next_index = (thread_index or 0) * 7919
  headers["content-type"] = "application/json"
end

function request()
  next_index = next_index + 1
  local id = ids[next_index % #ids + 1]
  return wrk.format("POST", "/v1/user_profiles/" .. id .. "/enrollment_url?beta=true", headers)
end
