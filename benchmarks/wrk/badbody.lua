-- POST /v1/reports with a body that is not JSON, all from one client: refused (400, or 429 once
-- the client is over its rate) before anything is stored. Argument (after --): a run nonce.
local counter = 0

function init(args)
  nonce = args[1] or "run"
end

function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/v1/reports", headers, "{not json " .. nonce .. counter)
end
