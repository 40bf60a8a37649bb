-- POST /v1/reports from many distinct clients: each request names a network of its own (an IPv6
-- /64 in X-Forwarded-For; the API must trust the local proxy: DOWNWATCH_TRUSTED_PROXIES=127.0.0.1),
-- so each is a new identity and is counted (an identity is a network, never the User-Agent: a new
-- User-Agent alone would not count); wrk counts the 202s.
-- Arguments (after --): a run nonce, then the service slugs to report. A nonce ending in -N (N < 16)
-- gives this wrk its own client space, so several wrk processes never share a network.
-- The /64 is 2001:db8:G3:G4 with G3 = N * 4096 + thread * 256 + (sent / 65536) % 256 and
-- G4 = sent % 65536 (distinct for 16 spaces x 16 threads x 16.7 million requests). (Before, the
-- request number was in the fifth group, inside the /64: a thread's first 65,536 requests were one
-- network, and both wrk processes of nats_throughput.py used the same ones: 8 of 92,411 counted.)

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nonce = args[1] or "run"
  space = tonumber(string.match(nonce, "-(%d+)$") or "0") % 16
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
  headers["X-Forwarded-For"] = string.format("2001:db8:%x:%x::1",
                                             space * 4096 + (thread_id % 16) * 256
                                               + math.floor(sent / 65536) % 256, sent % 65536)
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
