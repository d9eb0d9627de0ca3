-- Scenario "list": GET /api/v1/customers?limit=20, the first page of the customer list.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/api/v1/customers?limit=20"
