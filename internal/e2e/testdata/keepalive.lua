-- wrk script for the keep-alive drain test: alternates a POST
-- /api/token/verify/ (which nginx never retries) with a GET /hello/, both
-- authenticated with $DROVER_TOKEN, and counts the answers that are not
-- 2xx, which wrk's own summary lumps with 3xx.
local token = os.getenv("DROVER_TOKEN")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  non2xx = 0
  verify = wrk.format("POST", "/api/token/verify/",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
    '{"token":"' .. token .. '"}')
  hello = wrk.format("GET", "/hello/", {["Authorization"] = "Bearer " .. token})
end

function request()
  n = n + 1
  if n % 2 == 0 then
    return verify
  end
  return hello
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("non2xx")
  end
  io.write(string.format("drover-non2xx %d\n", total))
end
