-- POST /v1/user_profiles: an R1 create body as the 0.x SDK sends it, a new external_id each time.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local count = 0

function init(_args)
  headers["content-type"] = "application/json"
end

function request()
  count = count + 1
  local body = string.format(
    '{"external_id": "bench_%d_%d", "name": "Ada Example", "relationship": "external", "metadata": {"plan": "pro"}}',
    thread_index or 0, count)
  return wrk.format("POST", "/v1/user_profiles?beta=true", headers, body)
end
