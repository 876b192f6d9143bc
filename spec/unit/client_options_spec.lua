-- kibana.new: URL, authentication, headers, environment, option checks.
-- Fake transport.

local kibana = require "kibana"
local errors = kibana.errors
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function first_request(opts, url)
  local t = fake.new()
  opts = opts or {}
  opts.transport = t
  local c = kibana.new(url or "http://kibana.test:5601", opts)
  c.actions:get_all()
  return t.requests[1], c
end

describe("authentication", function()
  it("an api_key string is sent as given: Authorization: ApiKey <key>", function()
    local r = first_request{ api_key = "abc==" }
    assert.equal("ApiKey abc==", r.headers["authorization"])
  end)

  it("an api_key table {id, api_key} is sent base64(id:api_key)", function()
    local r = first_request{ api_key = { id = "VuaCfGcBCdbkQm-e5aOx", api_key = "ui2lp2axTNmsyakw9tvNnw" } }
    assert.equal("ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==", r.headers["authorization"])
  end)

  it("username and password are sent as Basic", function()
    local r = first_request{ username = "elastic", password = "changeme" }
    assert.equal("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==", r.headers["authorization"])
  end)

  it("bearer is sent as Bearer", function()
    local r = first_request{ bearer = "tok" }
    assert.equal("Bearer tok", r.headers["authorization"])
  end)

  it("no method sends no Authorization (a Kibana without security)", function()
    local saved = os.getenv
    os.getenv = function() return nil end
    local ok, r = pcall(first_request, {})
    os.getenv = saved
    assert.is_true(ok, tostring(r))
    assert.is_nil(r.headers["authorization"])
  end)

  it("two methods are a ValidationError", function()
    local err = catch(kibana.new, "http://x", { api_key = "k", username = "u", password = "p" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("exactly one authentication method", err.message, 1, true)
    err = catch(kibana.new, "http://x", { api_key = "k", bearer = "b" })
    assert.is_true(errors.is(err, errors.ValidationError))
  end)

  it("a username without a password is a ValidationError", function()
    local err = catch(kibana.new, "http://x", { username = "u" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal("password", err.argument)
  end)

  it("a malformed api_key table is a ValidationError", function()
    local err = catch(kibana.new, "http://x", { api_key = { id = "x" } })
    assert.is_true(errors.is(err, errors.ValidationError))
  end)
end)

describe("a client without credentials", function()
  it("is allowed (a Kibana without security), and a 401 says what is missing", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 401,
      body = { statusCode = 401, error = "Unauthorized", message = "Unauthorized" } })
    local saved = os.getenv
    os.getenv = function() return nil end
    local ok, c = pcall(kibana.new, "http://x", { transport = t, raise = false })
    os.getenv = saved
    assert.is_true(ok)
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.AuthenticationError))
    assert.equal("Unauthorized (space 'default'); this client sends no credentials: give kibana.new "
      .. "api_key, username + password or bearer (or set KIBANA_API_KEY)", err.message)
    assert.is_nil(t:last().headers["authorization"])
  end)

  it("a 401 with credentials is Kibana's message alone", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 401,
      body = { statusCode = 401, error = "Unauthorized", message = "Unauthorized" } })
    local c = kibana.new("http://x", { transport = t, raise = false, api_key = "k" })
    local _, err = c.actions:get_all()
    assert.equal("Unauthorized (space 'default')", err.message)
  end)
end)

describe("kibana.new() without a URL", function()
  local saved
  before_each(function() saved = os.getenv end)
  after_each(function() os.getenv = saved end)

  local function env(vars)
    os.getenv = function(name) return vars[name] end
  end

  it("reads KIBANA_URL and KIBANA_API_KEY at call time", function()
    env{ KIBANA_URL = "http://env.test:5601", KIBANA_API_KEY = "envkey" }
    local t = fake.new()
    local c = kibana.new(nil, { transport = t })
    c.actions:get_all()
    assert.equal("http://env.test:5601/api/actions/connectors", t:last().url)
    assert.equal("ApiKey envkey", t:last().headers["authorization"])
  end)

  it("reads KIBANA_USERNAME and KIBANA_PASSWORD", function()
    env{ KIBANA_URL = "http://env.test", KIBANA_USERNAME = "elastic", KIBANA_PASSWORD = "changeme" }
    local t = fake.new()
    kibana.new(nil, { transport = t }).actions:get_all()
    assert.equal("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==", t:last().headers["authorization"])
  end)

  it("prefers an auth option over the environment", function()
    env{ KIBANA_URL = "http://env.test", KIBANA_API_KEY = "envkey" }
    local t = fake.new()
    kibana.new(nil, { transport = t, bearer = "b" }).actions:get_all()
    assert.equal("Bearer b", t:last().headers["authorization"])
  end)

  it("raises a ValidationError when KIBANA_URL is not set", function()
    env{}
    local err = catch(kibana.new)
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("KIBANA_URL", err.message, 1, true)
  end)
end)

describe("the URL and base_path", function()
  it("a path in the URL and base_path both prefix every request", function()
    local r = first_request({ api_key = "k", base_path = "kibana/" }, "https://host.test:5601/proxy/")
    assert.equal("https://host.test:5601/proxy/kibana/api/actions/connectors", r.url)
  end)

  it("a URL that is not http(s) is a ValidationError", function()
    local err = catch(kibana.new, "localhost:5601", {})
    assert.is_true(errors.is(err, errors.ValidationError))
    err = catch(kibana.new, "http://x/?q=1", {})
    assert.is_true(errors.is(err, errors.ValidationError))
  end)

  it("kibana.new(nil, {url = ...}) takes the URL from the options, not KIBANA_URL", function()
    local t = fake.new()
    kibana.new(nil, { url = "http://opts.test", transport = t, api_key = "k" }).actions:get_all()
    assert.equal("http://opts.test/api/actions/connectors", t:last().url)
  end)

  it("kibana.new{url = ...} is accepted", function()
    local t = fake.new()
    kibana.new{ url = "http://t.test", transport = t, api_key = "k" }.actions:get_all()
    assert.equal("http://t.test/api/actions/connectors", t:last().url)
  end)
end)

describe("headers", function()
  it("extra headers are sent; user_agent and opaque_id are honoured", function()
    local r = first_request{ api_key = "k", headers = { ["X-Tenant"] = "t1" }, user_agent = "mine/1", opaque_id = "op-7" }
    assert.equal("t1", r.headers["x-tenant"])
    assert.equal("mine/1", r.headers["user-agent"])
    assert.equal("op-7", r.headers["x-opaque-id"])
  end)

  it("the default User-Agent names the version and the Lua runtime", function()
    local r = first_request{ api_key = "k" }
    local runtime = (rawget(_G, "jit") and jit.version) or _VERSION
    assert.equal("lua-kibana/" .. kibana.VERSION .. " (" .. runtime .. ")", r.headers["user-agent"])
  end)

  it("a header value with a line break is refused", function()
    local err = catch(kibana.new, "http://x", { headers = { ["X-A"] = "a\r\nX-B: b" } })
    assert.is_true(errors.is(err, errors.ValidationError))
  end)

  it("Content-Type cannot be set for every request: each request sets its own", function()
    local err = catch(kibana.new, "http://x", { headers = { ["content-type"] = "text/plain" } })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal("kibana.new: headers must not set Content-Type (each request sets its own)", err.message)
  end)

  it("the caller's header wins over ours", function()
    local r = first_request{ api_key = "k", headers = { Accept = "application/x-test" } }
    assert.equal("application/x-test", r.headers["accept"])
  end)
end)

describe("option checks", function()
  it("an unknown option is a ValidationError naming it", function()
    local err = catch(kibana.new, "http://x", { tiemout = 3 })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal("unknown option 'tiemout' for kibana.new", err.message)
  end)

  it("an option of the wrong type is a ValidationError naming it", function()
    local err = catch(kibana.new, "http://x", { timeout = "3" })
    assert.matches("option 'timeout' must be a number", err.message, 1, true)
  end)

  it("a transport without request() is refused", function()
    local err = catch(kibana.new, "http://x", { transport = {} })
    assert.matches("transport", err.message, 1, true)
  end)

  it("client:space takes only `validate`", function()
    local c = fake.client(fake.new())
    local err = catch(c.space, c, "marketing", { valdiate = false })
    assert.matches("unknown option 'valdiate' for client:space", err.message, 1, true)
  end)
end)

describe("the default transport", function()
  it("is the C libcurl binding, created without any I/O", function()
    local c = kibana.new("http://127.0.0.1:9", { api_key = "k", timeout = 1, connect_timeout = 1, retries = 0, raise = false })
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ConnectionError))
    assert.equal("GET", err.method)
    c:close()
  end)
end)

describe("closing a client at the end of a block", function()
  it("Lua 5.4's <close> calls client:close()", function()
    local mt = getmetatable(fake.client(fake.new()))
    assert.is_function(mt.__close)
    local t = fake.new()
    local closed = 0
    t.close = function() closed = closed + 1 end
    local c = kibana.new("http://x", { transport = t, api_key = "k" })
    mt.__close(c)
    -- a transport given by the caller stays the caller's to close
    assert.equal(0, closed)
    local err = catch(c.actions.get_all, c.actions)
    assert.matches("the client is closed", err.message, 1, true)
  end)

  it("works as a to-be-closed variable on Lua 5.4", function()
    if _VERSION ~= "Lua 5.4" then return end -- the syntax does not exist elsewhere
    local chunk = assert(load([[
      local kibana, t = ...
      local c <close> = kibana.new("http://x", { transport = t, api_key = "k" })
      c.actions:get_all()
      return c
    ]]))
    local c = chunk(kibana, fake.new())
    local err = catch(c.actions.get_all, c.actions)
    assert.matches("the client is closed", err.message, 1, true)
  end)
end)
