-- POST /v1/reports from many distinct clients: each request names a network of its own (an IPv6
-- /64 in X-Forwarded-For; the API must trust the local proxy: DOWNWATCH_TRUSTED_PROXIES=127.0.0.1),
-- so each is a new identity and is counted (an identity is a network, never the User-Agent: a new
-- User-Agent alone would not count); wrk counts the 202s.
-- Arguments (after --): a run nonce, then the service slugs to report.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nonce = args[1] or "run"
  slugs = {}
  for i = 2, #args do slugs[#slugs + 1] = args[i] end
  if #slugs == 0 then slugs = {"bt"} end
  problems = {"login", "website", "app", "email", "connection"}
  sent = 0
  accepted = 0
  counted = 0
  other = 0
end

function request()
  sent = sent + 1
  local slug = slugs[(sent % #slugs) + 1]
  local problem = problems[(sent % #problems) + 1]
  local body = '{"service":"' .. slug .. '","problem":"' .. problem .. '","location":"London"}'
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["User-Agent"] = "wrk-reporter/" .. nonce .. "-" .. thread_id .. "-" .. sent
  headers["X-Forwarded-For"] = string.format("2001:db8:%x:%x:%x::1", thread_id,
                                             math.floor(sent / 65536) % 65536, sent % 65536)
  return wrk.format("POST", "/v1/reports", headers, body)
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
    if string.find(body, '"counted":true', 1, true) then counted = counted + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_accepted, total_counted, total_other = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_accepted = total_accepted + thread:get("accepted")
    total_counted = total_counted + thread:get("counted")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("accepted %d\ncounted %d\nother %d\n", total_accepted, total_counted, total_other))
end
