-- kibana.api.status: GET /api/status (global). client:status() calls `get`.

local _M = {}

_M.name = "status"

_M.endpoints = {
  get = {
    method = "GET",
    path = "/api/status",
    query = { "v7format", "v8format" },
    global = true,
  },
}

return _M
