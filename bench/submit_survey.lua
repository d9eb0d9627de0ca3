-- Scenario "survey": a respondent completes a survey (NPS + CSAT + reason + six attribute ratings + a
-- multiple choice) on a kiosk link, as the survey page's POST does. 201 comes only after the response,
-- its answers and its two feedback rows are committed, so every counted request is a durable write.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local token = os.getenv("BENCH_SURVEY_TOKEN")
if token == nil or token == "" then
  error("BENCH_SURVEY_TOKEN is not set: bench/run.sh creates the kiosk link")
end
local answers = io.open(os.getenv("BENCH_DIR") .. "/survey_answers.json"):read("*a")

wrk.method = "POST"
wrk.path = "/api/v1/respond/" .. token
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = nil  -- respondents send no credential
wrk.body = answers
