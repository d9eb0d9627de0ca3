-- Scenario "post": POST /api/v1/feedback with a small NPS response. The server acknowledges (201) only
-- after the row is committed, so every counted request is a durable write.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/api/v1/feedback"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"survey":"bench","metric":"nps","score":9,"touchpoint":"checkout"}'
