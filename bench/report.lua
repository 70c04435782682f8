-- wrk script for `npm run bench`: an optional request body (BENCH_BODY_BYTES, sent as a POST),
-- Accept-Encoding: gzip when BENCH_ACCEPT_GZIP is set, and one JSON line with what the run
-- measured, so nothing parses wrk's human output.
local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "0")
if size > 0 then
  wrk.method = "POST"
  wrk.body = string.rep("x", size)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

if (os.getenv("BENCH_ACCEPT_GZIP") or "") ~= "" then
  wrk.headers["Accept-Encoding"] = "gzip"
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"bytes":%d,"p99Us":%d,"non2xx":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
