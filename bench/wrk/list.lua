-- GET /v1/user_profiles?limit=20, from the start or from the cursor in BENCH_PAGE (a deep page).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local prepared

function init(_args)
  local path = "/v1/user_profiles?beta=true&limit=20"
  local page = os.getenv("BENCH_PAGE") or ""
  if page ~= "" then path = path .. "&page=" .. page end
  prepared = wrk.format("GET", path, headers)
end

function request()
  return prepared
end
