-- GET /v1/services/{slug} for slugs that do not exist, each one different (so no answer cache
-- helps): a flood of misses. Argument (after --): a run nonce.
local counter = 0

function init(args)
  nonce = args[1] or "run"
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/v1/services/no-such-" .. nonce .. "-" .. counter)
end
