-- Shared by the bench/*.lua wrk scripts (loaded with dofile by each of them).
--
-- Every request carries the API key from BENCH_TOKEN as a Bearer token. When wrk finishes, done()
-- prints one machine-readable line that bench/run.sh parses instead of wrk's human summary:
--
--   wrk-result requests=N duration_us=N p50_us=N p90_us=N p99_us=N max_us=N
--              status_errors=N connect_errors=N read_errors=N write_errors=N timeouts=N
--
-- status_errors counts responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  error("BENCH_TOKEN is not set: bench/run.sh passes the API key in it")
end
wrk.headers["Authorization"] = "Bearer " .. token

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.status, errors.connect, errors.read, errors.write,
    errors.timeout))
end
