-- The ceiling apps answer every request with the same profile; send them the same request as retrieve.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local prepared

function init(_args)
  prepared = wrk.format("GET", "/v1/user_profiles/uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm?beta=true", headers)
end

function request()
  return prepared
end
