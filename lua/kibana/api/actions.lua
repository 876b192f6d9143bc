-- kibana.api.actions: the connectors (actions) API. Space-aware.
-- Endpoint tables as described in lua/kibana/endpoint.lua; executed by the
-- generic function in lua/kibana/client.lua.

local _M = {}

_M.name = "actions"

_M.endpoints = {
  -- POST /api/actions/connector, or /api/actions/connector/{id} when `id` is given
  create = {
    method = "POST",
    path = { "/api/actions/connector/{id}", "/api/actions/connector" },
    body = { "name", "connector_type_id", "config", "secrets" },
  },
  get = {
    method = "GET",
    path = "/api/actions/connector/{id}",
    positional = { "id" },
  },
  get_all = {
    method = "GET",
    path = "/api/actions/connectors",
  },
  update = {
    method = "PUT",
    path = "/api/actions/connector/{id}",
    positional = { "id" },
    body = { "name", "config", "secrets" },
  },
  delete = {
    method = "DELETE",
    path = "/api/actions/connector/{id}",
    positional = { "id" },
  },
  execute = {
    method = "POST",
    path = "/api/actions/connector/{id}/_execute",
    positional = { "id" },
    body = { "params" },
  },
  list_types = {
    method = "GET",
    path = "/api/actions/connector_types",
    query = { "feature_id" },
  },
}

return _M
