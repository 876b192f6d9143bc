-- emu/connector_types.lua: the connector types the emulator knows (BEHAVIOUR §4),
-- with config/secrets/params schemas and what `_execute` does for each.
--
-- .index appends params.documents to store.indices[config.index]; .server-log
-- appends to store.server_log; every other type answers like a connector that
-- cannot reach its service (status "error", HTTP 200).

local json = require "emu.json"
local schema = require "emu.schema"
local store = require "emu.store"
local util = require "emu.util"

local ipairs, type = ipairs, type
local match = string.match

local s = schema

local _M = {}

local function literals(list, opts)
  local out = {}
  for i, v in ipairs(list) do out[i] = s.literal(v) end
  return s.oneOf(out, opts)
end

local EMPTY = s.object({}, { default = {} })
local FEATURES = { "alerting", "uptime", "siem" }

local function strings() return s.array(s.string(), { default = json.array() }) end

local function unreachable(host)
  return function(connector)
    return {
      status = "error",
      connector_id = connector.id,
      message = "an error occurred while running the action",
      service_message = "getaddrinfo ENOTFOUND " .. (host(connector) or "localhost"),
      errorSource = "user",
      retry = false,
    }
  end
end

local function host_of(url)
  if type(url) ~= "string" then return nil end
  return match(url, "^%a[%w+.-]*://([^/:?#]+)")
end

local TYPES = {
  {
    id = ".email", name = "Email", minimum_license_required = "gold",
    supported_feature_ids = { "alerting", "cases", "uptime", "siem" },
    config = s.object({
      service = s.string{ default = "other" },
      host = s.nullable(s.string()),
      port = s.nullable(s.number{ min = 1, max = 65535, integer = true }),
      secure = s.nullable(s.boolean()),
      from = s.string(),
      hasAuth = s.boolean{ default = true },
      tenantId = s.nullable(s.string()),
      clientId = s.nullable(s.string()),
      oauthTokenUrl = s.nullable(s.string()),
    }, { order = { "service", "host", "port", "secure", "from", "hasAuth", "tenantId", "clientId",
                   "oauthTokenUrl" } }),
    secrets = s.object({
      user = s.nullable(s.string()),
      password = s.nullable(s.string()),
      clientSecret = s.nullable(s.string()),
    }, { order = { "user", "password", "clientSecret" } }),
    params = s.object({
      to = strings(), cc = strings(), bcc = strings(),
      subject = s.string(),
      message = s.string(),
      messageHTML = s.nullable(s.string()),
      kibanaFooterLink = s.maybe(s.object({ path = s.string{ default = "/" }, text = s.maybe(s.string()) })),
    }, {
      order = { "to", "cc", "bcc", "subject", "message", "messageHTML", "kibanaFooterLink" },
      validate = function(p)
        if #p.to == 0 and #p.cc == 0 and #p.bcc == 0 then return "no [to], [cc], or [bcc] entries" end
      end,
    }),
    execute = unreachable(function(c) return c.config.host ~= json.null and c.config.host or "smtp" end),
  },
  {
    id = ".index", name = "Index", minimum_license_required = "basic",
    supported_feature_ids = FEATURES,
    config = s.object({
      index = s.string(),
      refresh = s.boolean{ default = false },
      executionTimeField = s.nullable(s.string()),
    }, { order = { "index", "refresh", "executionTimeField" } }),
    secrets = EMPTY,
    params = s.object({
      documents = s.array(s.record(s.string(), s.any())),
      indexOverride = s.nullable(s.string()),
    }, { order = { "documents", "indexOverride" } }),
    execute = function(connector, params)
      local index = connector.config.index
      local docs = store.indices[index]
      if not docs then
        docs = json.array()
        store.indices[index] = docs
      end
      local tf = connector.config.executionTimeField
      local items = json.array()
      for i, d in ipairs(params.documents) do
        local doc = util.deepcopy(d)
        if type(tf) == "string" then doc[tf] = util.iso_time(ngx and ngx.now() or os.time()) end
        docs[#docs + 1] = doc
        items[i] = { create = {
          _index = index, _id = util.uuid4(), _version = 1, result = "created",
          _shards = { total = 2, successful = 1, failed = 0 }, _seq_no = #docs - 1,
          _primary_term = 1, status = 201,
        } }
      end
      return { status = "ok", connector_id = connector.id,
               data = { took = 1, errors = false, items = items } }
    end,
  },
  {
    id = ".pagerduty", name = "PagerDuty", minimum_license_required = "gold",
    supported_feature_ids = FEATURES,
    config = s.object({ apiUrl = s.nullable(s.string()) }),
    secrets = s.object({ routingKey = s.string() }),
    params = s.object({
      eventAction = s.maybe(literals{ "trigger", "resolve", "acknowledge" }),
      dedupKey = s.maybe(s.string{ max = 255 }),
      summary = s.maybe(s.string{ max = 1024 }),
      severity = s.maybe(literals{ "critical", "error", "warning", "info" }),
    }, { unknowns = "allow", order = { "eventAction", "dedupKey", "summary", "severity" } }),
    execute = unreachable(function(c) return host_of(c.config.apiUrl) or "events.pagerduty.com" end),
  },
  {
    id = ".server-log", name = "Server log", minimum_license_required = "basic",
    supported_feature_ids = FEATURES,
    config = EMPTY,
    secrets = EMPTY,
    params = s.object({
      message = s.string(),
      level = literals({ "trace", "debug", "info", "warn", "error", "fatal" }, { default = "info" }),
    }, { order = { "message", "level" } }),
    execute = function(connector, params)
      local log = store.server_log
      log[#log + 1] = {
        level = params.level,
        message = params.message,
        connector_id = connector.id,
        timestamp = util.iso_time(ngx and ngx.now() or os.time()),
      }
      return { status = "ok", connector_id = connector.id }
    end,
  },
  {
    id = ".slack", name = "Slack", minimum_license_required = "gold",
    supported_feature_ids = FEATURES,
    config = EMPTY,
    secrets = s.object({ webhookUrl = s.string() }),
    params = s.object({ message = s.string{ min = 1 } }),
    execute = unreachable(function(c) return host_of(c.secrets.webhookUrl) or "hooks.slack.com" end),
  },
  {
    id = ".webhook", name = "Webhook", minimum_license_required = "gold",
    supported_feature_ids = FEATURES,
    config = s.object({
      url = s.string(),
      method = literals({ "post", "put" }, { default = "post" }),
      headers = s.nullable(s.record(s.string(), s.string())),
      hasAuth = s.boolean{ default = true },
      authType = s.maybe(s.nullable(literals{ "webhook-authentication-basic", "webhook-authentication-ssl" })),
      certType = s.maybe(literals{ "ssl-crt-key", "ssl-pfx" }),
      ca = s.maybe(s.string()),
      verificationMode = s.maybe(literals{ "none", "certificate", "full" }),
    }, { order = { "url", "method", "headers", "hasAuth", "authType", "certType", "ca", "verificationMode" } }),
    secrets = s.object({
      user = s.nullable(s.string()),
      password = s.nullable(s.string()),
      crt = s.nullable(s.string()),
      key = s.nullable(s.string()),
      pfx = s.nullable(s.string()),
    }, { order = { "user", "password", "crt", "key", "pfx" } }),
    params = s.object({ body = s.maybe(s.string()) }),
    execute = unreachable(function(c) return host_of(c.config.url) end),
  },
}

_M.list = TYPES
_M.by_id = {}
for _, t in ipairs(TYPES) do _M.by_id[t.id] = t end

-- get(id) -> type | nil
function _M.get(id) return _M.by_id[id] end

-- validate_config(type, config) -> config_with_defaults | nil, message
function _M.validate_config(t, config)
  local v, m = schema.validate(config, t.config, nil)
  if not v then return nil, "error validating action type config: " .. m end
  return v
end

function _M.validate_secrets(t, secrets)
  local v, m = schema.validate(secrets, t.secrets, nil)
  if not v then return nil, "error validating action type secrets: " .. m end
  return v
end

function _M.validate_params(t, params)
  local v, m = schema.validate(params, t.params, nil)
  if not v then return nil, "error validating action params: " .. m end
  return v
end

-- describe(type) -> the GET /api/actions/connector_types entry
function _M.describe(t)
  local features = json.array()
  for i, f in ipairs(t.supported_feature_ids) do features[i] = f end
  return {
    id = t.id,
    name = t.name,
    enabled = true,
    enabled_in_config = true,
    enabled_in_license = true,
    minimum_license_required = t.minimum_license_required,
    supported_feature_ids = features,
    is_system_action_type = false,
  }
end

return _M
