-- Scenario "get": GET /api/v1/customers/{id}, cycling through the customer ids listed one per line in
-- BENCH_IDS_FILE (bench/run.sh writes 200 of them), so that requests do not all hit one row.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
  if line ~= "" then ids[#ids + 1] = line end
end
if #ids == 0 then error("BENCH_IDS_FILE lists no customer ids") end

-- setup() runs in wrk's main Lua state, once per thread: each thread starts at its own place in the list.
local thread_count = 0
function setup(thread)
  thread:set("next_index", thread_count * 37)
  thread_count = thread_count + 1
end

next_index = 0
function request()
  next_index = next_index % #ids + 1
  return wrk.format("GET", "/api/v1/customers/" .. ids[next_index])
end
