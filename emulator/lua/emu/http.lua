-- emu/http.lua: HTTP status phrases and Kibana-shaped (Boom) error bodies.
--
-- Handlers return `status, body[, headers]`; `return http.error(404, "Not Found")`
-- builds the `{statusCode, error, message[, attributes]}` body Kibana sends.

local _M = {}

local REASONS = {
  [200] = "OK", [201] = "Created", [202] = "Accepted", [204] = "No Content",
  [301] = "Moved Permanently", [302] = "Found", [304] = "Not Modified",
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable",
  [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone",
  [411] = "Length Required", [412] = "Precondition Failed",
  [413] = "Payload Too Large", [414] = "URI Too Long",
  [415] = "Unsupported Media Type", [416] = "Range Not Satisfiable",
  [422] = "Unprocessable Entity", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout",
}
-- phrases as Node 20 (Kibana 8.15) spells them; Boom copies http.STATUS_CODES
_M.REASONS = REASONS

-- reason(status) -> the reason phrase Boom puts in `error`
function _M.reason(status)
  return REASONS[status] or "Unknown"
end

-- error(status, message, attributes) -> status, body
-- message defaults to the reason phrase (Boom does the same).
function _M.error(status, message, attributes)
  local reason = REASONS[status] or "Unknown"
  local body = { statusCode = status, error = reason, message = message or reason }
  if attributes ~= nil then body.attributes = attributes end
  return status, body
end

-- The message Kibana gives for an unexpected exception in a route handler.
_M.INTERNAL_ERROR_MESSAGE = "An internal server error occurred."

return _M
