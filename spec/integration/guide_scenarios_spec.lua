-- The space-support guide (shared/seed/space-support-guide.txt), scenario by
-- scenario, written in Lua against the Kibana emulator. Each describe is one
-- scenario or pattern of the guide; the comments quote what the guide
-- promises and the assertions check it, including how many requests (and
-- validation requests) each pattern costs, read from the emulator's log.
--
-- Where the guide's Python reads `.body`, the Lua client returns the body
-- itself. Where the guide's code would fail against real Kibana, the Lua
-- version says why in a comment (preconfigured connectors, underscores).

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"

local new_client = support_client.new

local function mark()
  local log = emu.requests()
  return #log > 0 and math.floor(log[#log].seq) or 0
end

-- requests logged after mark m, optionally filtered by method and path pattern
local function since(m, method, pattern)
  local out = {}
  for _, r in ipairs(emu.requests(m)) do
    if (method == nil or r.method == method) and (pattern == nil or r.path:find(pattern)) then
      out[#out + 1] = r
    end
  end
  return out
end

-- validation requests (GET /api/spaces/space/<id>, any id when id is nil)
-- logged after mark m
local function validations(m, id)
  local n = 0
  for _, r in ipairs(since(m, "GET", "^/api/spaces/space/[^/]+$")) do
    if id == nil or r.path == "/api/spaces/space/" .. id then n = n + 1 end
  end
  return n
end

local catch = support_client.catch

-- the connectors of a space that were created there (not preconfigured ones,
-- which Kibana shows in every space)
local function own_connectors(c, space_id)
  local out = {}
  for _, conn in ipairs(c.actions:get_all{ space_id = space_id }) do
    if not conn.is_preconfigured then out[#out + 1] = conn end
  end
  return out
end

local function ensure_space(c, id, name)
  local ok, err = pcall(c.spaces.create, c.spaces, { id = id, name = name or id })
  if not ok and not errors.is(err, errors.ConflictError) then error(err, 0) end
end

describe("guide scenario 1: default space only", function()
  before_each(emu.reset)

  it("works unchanged: no space_id, no /s/ prefix, no validation request", function()
    local client = new_client()
    local m = mark()
    local connector = client.actions:create{ name = "My Connector", connector_type_id = ".index",
                                             config = { index = "logs" } }
    assert.is_string(connector.id)
    assert.equal("My Connector", connector.name)
    local log = since(m)
    assert.equal(1, #log)
    assert.equal("POST", log[1].method)
    assert.equal("/api/actions/connector", log[1].path)
    assert.equal("default", log[1].space)
    assert.equal(1, #own_connectors(client))
  end)
end)

describe("guide scenario 2: adding space_id to existing code", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("runs the call in the space after validating it, and nowhere else", function()
    local client = new_client()
    local m = mark()
    local connector = client.actions:create{ name = "My Connector", connector_type_id = ".index",
                                             config = { index = "logs" }, space_id = "marketing" }
    local log = since(m)
    assert.equal(2, #log)
    assert.equal("/api/spaces/space/marketing", log[1].path)
    assert.equal("/s/marketing/api/actions/connector", log[2].path)
    assert.equal("marketing", log[2].space)
    assert.equal(connector.id, client.actions:get{ id = connector.id, space_id = "marketing" }.id)
    assert.equal(0, #own_connectors(client))
  end)
end)

describe("guide scenario 3: many operations in the same space", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("repeating space_id validates once (then the cache answers)", function()
    local client = new_client()
    local m = mark()
    client.actions:create{ name = "Connector 1", connector_type_id = ".index", config = { index = "logs1" },
                           space_id = "marketing" }
    client.actions:create{ name = "Connector 2", connector_type_id = ".index", config = { index = "logs2" },
                           space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
    assert.equal(3, #since(m))
  end)

  it("a scoped client validates once at creation and needs no space_id", function()
    local client = new_client()
    local m = mark()
    local marketing_client = client:space("marketing")
    local c1 = marketing_client.actions:create{ name = "Connector 1", connector_type_id = ".index",
                                                config = { index = "logs1" } }
    local c2 = marketing_client.actions:create{ name = "Connector 2", connector_type_id = ".index",
                                                config = { index = "logs2" } }
    assert.equal(1, validations(m, "marketing"))
    assert.equal(2, #since(m, "POST", "^/s/marketing/api/actions/connector$"))
    local names = {}
    for _, conn in ipairs(own_connectors(client, "marketing")) do names[conn.id] = conn.name end
    assert.equal("Connector 1", names[c1.id])
    assert.equal("Connector 2", names[c2.id])
  end)
end)

describe("guide step 1: the space-aware operations", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("every actions and saved_objects method takes space_id and runs under /s/<id>", function()
    local client = new_client()
    local S = "marketing"
    local m = mark()
    local conn = client.actions:create{ name = "c", connector_type_id = ".index", config = { index = "i" }, space_id = S }
    client.actions:get{ id = conn.id, space_id = S }
    client.actions:get_all{ space_id = S }
    client.actions:update{ id = conn.id, name = "c2", config = { index = "i" }, space_id = S }
    client.actions:execute{ id = conn.id, params = { documents = { { a = 1 } } }, space_id = S }
    client.actions:delete{ id = conn.id, space_id = S }
    local so = client.saved_objects:create{ type = "dashboard", attributes = { title = "d" }, space_id = S }
    client.saved_objects:get{ type = "dashboard", id = so.id, space_id = S }
    client.saved_objects:find{ type = "dashboard", space_id = S }
    client.saved_objects:update{ type = "dashboard", id = so.id, attributes = { title = "d2" }, space_id = S }
    client.saved_objects:delete{ type = "dashboard", id = so.id, space_id = S }
    client.saved_objects:bulk_create{ objects = { { type = "dashboard", id = "b1", attributes = { title = "b" } } }, space_id = S }
    client.saved_objects:bulk_get{ objects = { { type = "dashboard", id = "b1" } }, space_id = S }
    client.saved_objects:bulk_update{ objects = { { type = "dashboard", id = "b1", attributes = { title = "b2" } } }, space_id = S }
    client.saved_objects:bulk_delete{ objects = { { type = "dashboard", id = "b1" } }, space_id = S }
    local calls = {}
    for _, r in ipairs(since(m)) do
      if not r.path:find("^/api/spaces/") then calls[#calls + 1] = r end
    end
    assert.equal(15, #calls)
    for _, r in ipairs(calls) do
      assert.equal("marketing", r.space, r.method .. " " .. r.path)
      assert.is_truthy(r.path:find("^/s/marketing/api/"), r.path)
      assert.is_true(r.status < 300, r.method .. " " .. r.path .. " -> " .. tostring(r.status))
    end
    assert.equal(1, validations(m, "marketing"))
  end)

  it("the space management operations are global: never a /s/ prefix", function()
    local client = new_client()
    local m = mark()
    client.spaces:create{ id = "sales", name = "Sales" }
    client.spaces:get("sales")
    client.spaces:get_all()
    client.spaces:update{ id = "sales", name = "Sales team" }
    client.spaces:delete("sales")
    local log = since(m)
    assert.equal(5, #log)
    for _, r in ipairs(log) do
      assert.equal("default", r.space)
      assert.is_truthy(r.path:find("^/api/spaces/space"), r.path)
    end
  end)
end)

describe("guide step 2: pattern A (space_id per call) and pattern B (scoped client)", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.spaces:create{ id = "sales", name = "Sales" }
  end)

  it("pattern A puts each object in the space its call names", function()
    local client = new_client()
    local connector = client.actions:create{ name = "Marketing Connector", connector_type_id = ".index",
                                             config = { index = "marketing-logs" }, space_id = "marketing" }
    local saved_obj = client.saved_objects:create{ type = "dashboard", attributes = { title = "Sales Dashboard" },
                                                   space_id = "sales" }
    assert.equal("marketing", client.actions:get{ id = connector.id, space_id = "marketing" }.config.index:sub(1, 9))
    assert.same({ "sales" }, client.saved_objects:get{ type = "dashboard", id = saved_obj.id, space_id = "sales" }.namespaces)
  end)

  it("pattern B puts a connector, a dashboard and a visualization in the scoped space", function()
    local client = new_client()
    local marketing_client = client:space("marketing")
    marketing_client.actions:create{ name = "Marketing Connector", connector_type_id = ".index",
                                     config = { index = "marketing-logs" } }
    local dashboard = marketing_client.saved_objects:create{ type = "dashboard", attributes = { title = "Marketing Dashboard" } }
    local visualization = marketing_client.saved_objects:create{ type = "visualization",
                                                                 attributes = { title = "Marketing Chart" } }
    assert.same({ "marketing" }, dashboard.namespaces)
    assert.same({ "marketing" }, visualization.namespaces)
    assert.equal(1, #own_connectors(client, "marketing"))
    assert.equal(0, client.saved_objects:find{ type = { "dashboard", "visualization" } }.total)
  end)
end)

describe("guide step 3: space-specific error handling", function()
  before_each(emu.reset)

  it("a missing space is a SpaceNotFoundError carrying space_id, and nothing is written", function()
    local client = new_client()
    local m = mark()
    local e = catch(client.actions.create, client.actions, { name = "My Connector", connector_type_id = ".index",
                                                            config = { index = "logs" }, space_id = "marketing" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
    assert.equal("marketing", e.space_id)
    assert.equal("Space 'marketing' does not exist", string.format("Space '%s' does not exist", e.space_id))
    assert.equal(0, #since(m, nil, "^/s/"))
  end)

  it("an existing connector id is a ConflictError naming the space", function()
    local client = new_client()
    client.spaces:create{ id = "marketing", name = "Marketing" }
    local params = { id = "my-connector", name = "My Connector", connector_type_id = ".index",
                     config = { index = "logs" }, space_id = "marketing" }
    client.actions:create(params)
    local e = catch(client.actions.create, client.actions, params)
    assert.is_true(errors.is(e, errors.ConflictError))
    assert.is_false(errors.is(e, errors.SpaceNotFoundError))
    assert.equal("marketing", e.space_id)
    assert.matches("(space 'marketing')", tostring(e), 1, true)
  end)

  it("anything else is still a KibanaError (the guide's last except)", function()
    local client = new_client()
    local e = catch(client.actions.create, client.actions, { name = "x", connector_type_id = ".nope" })
    assert.is_true(errors.is(e, errors.KibanaError))
    assert.is_true(errors.is(e, errors.BadRequestError))
  end)
end)

describe("guide step 4: space isolation", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.spaces:create{ id = "sales", name = "Sales" }
  end)

  it("a connector created in marketing is found there and NotFoundError in default and sales", function()
    local client = new_client()
    local marketing_connector = client.actions:create{ name = "Test Connector", connector_type_id = ".index",
                                                       config = { index = "test" }, space_id = "marketing" }
    local retrieved = client.actions:get{ id = marketing_connector.id, space_id = "marketing" }
    assert.equal("Test Connector", retrieved.name)
    local e = catch(client.actions.get, client.actions, { id = marketing_connector.id })
    assert.is_true(errors.is(e, errors.NotFoundError))
    assert.is_false(errors.is(e, errors.SpaceNotFoundError))
    assert.equal("default", e.space_id)
    e = catch(client.actions.get, client.actions, { id = marketing_connector.id, space_id = "sales" })
    assert.is_true(errors.is(e, errors.NotFoundError))
    assert.is_false(errors.is(e, errors.SpaceNotFoundError))
    assert.equal("sales", e.space_id)
  end)

  it("looking in a space that does not exist is a SpaceNotFoundError, still a NotFoundError", function()
    local client = new_client()
    local conn = client.actions:create{ name = "T", connector_type_id = ".index", config = { index = "t" },
                                        space_id = "marketing" }
    local e = catch(client.actions.get, client.actions, { id = conn.id, space_id = "support" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
    assert.is_true(errors.is(e, errors.NotFoundError))
  end)
end)

describe("guide configuration: space validation", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("is on by default: a space_id costs one validation request", function()
    local client = new_client()
    local m = mark()
    client.actions:create{ name = "My Connector", connector_type_id = ".index", config = { index = "logs" },
                           space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
  end)

  it("client:space(id, {validate = false}) sends no validation request at all", function()
    local client = new_client()
    local m = mark()
    local fast_client = client:space("marketing", { validate = false })
    fast_client.actions:create{ name = "My Connector", connector_type_id = ".index", config = { index = "logs" } }
    assert.equal(0, validations(m))
    assert.equal(1, #since(m))
  end)

  it("validate = false also means a typo is not caught: the write lands in an orphan namespace", function()
    local client = new_client()
    local fast_client = client:space("marketting", { validate = false })
    local conn = fast_client.actions:create{ name = "Lost", connector_type_id = ".index", config = { index = "l" } }
    -- Kibana accepted it (BEHAVIOUR.md 1.2); only the unvalidated client can still see it
    assert.equal("Lost", fast_client.actions:get(conn.id).name)
    local e = catch(client.actions.get, client.actions, { id = conn.id, space_id = "marketting" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
  end)
end)

describe("guide configuration: validation caching", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("the second call in a space uses the cached validation (no request)", function()
    local client = new_client()
    local m = mark()
    client.actions:create{ name = "Connector 1", connector_type_id = ".index", config = { index = "logs1" },
                           space_id = "marketing" }
    local m2 = mark()
    client.actions:create{ name = "Connector 2", connector_type_id = ".index", config = { index = "logs2" },
                           space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
    assert.equal(0, validations(m2))
    local st = client:space_cache().stats()
    assert.equal(1, st.hits)
    assert.equal(1, st.misses)
  end)

  it("is 5 minutes by default", function()
    assert.equal(300, new_client():space_cache().stats().ttl)
  end)

  it("is cleared for an id by spaces:create and spaces:delete", function()
    local client = new_client()
    client.actions:get_all{ space_id = "marketing" }
    assert.equal(1, client:space_cache().stats().size)
    client.spaces:delete("marketing")
    assert.equal(0, client:space_cache().stats().size)
    local e = catch(client.actions.get_all, client.actions, { space_id = "marketing" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
    client.spaces:create{ id = "marketing", name = "Marketing" }
    local m = mark()
    client.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
  end)

  it("expires with the TTL: one validation again after space_cache_ttl", function()
    local client = new_client{ space_cache_ttl = 0.2 }
    local m = mark()
    client.actions:get_all{ space_id = "marketing" }
    client.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
    require("socket").sleep(0.3)
    client.actions:get_all{ space_id = "marketing" }
    assert.equal(2, validations(m, "marketing"))
  end)
end)

describe("guide pattern 1: multi-tenant application", function()
  before_each(emu.reset)

  local function setup_tenant_resources(tenant_id)
    local client = new_client()
    local space_id = "tenant-" .. tenant_id
    local ok, err = pcall(client.spaces.create, client.spaces, {
      id = space_id, name = "Tenant " .. tenant_id, description = "Dedicated space for tenant " .. tenant_id })
    if not ok and not errors.is(err, errors.ConflictError) then error(err, 0) end
    local tenant_client = client:space(space_id)
    local connector = tenant_client.actions:create{ name = "Tenant " .. tenant_id .. " Connector",
                                                    connector_type_id = ".index",
                                                    config = { index = "tenant-" .. tenant_id .. "-logs" } }
    local dashboard = tenant_client.saved_objects:create{ type = "dashboard",
                                                          attributes = { title = "Tenant " .. tenant_id .. " Dashboard" } }
    return { space_id = space_id, connector_id = connector.id, dashboard_id = dashboard.id }
  end

  it("creates the tenant's space, connector and dashboard, and runs again when the space exists", function()
    local m = mark()
    local r = setup_tenant_resources("acme")
    -- one space create, one validation at client:space, two writes
    assert.equal(4, #since(m))
    assert.equal("tenant-acme", r.space_id)
    local client = new_client()
    assert.equal("Tenant acme", client.spaces:get("tenant-acme").name)
    assert.equal("tenant-acme-logs", client.actions:get{ id = r.connector_id, space_id = "tenant-acme" }.config.index)
    assert.equal("Tenant acme Dashboard",
      client.saved_objects:get{ type = "dashboard", id = r.dashboard_id, space_id = "tenant-acme" }.attributes.title)
    local again = setup_tenant_resources("acme")
    assert.equal("tenant-acme", again.space_id)
    assert.are_not.equal(r.connector_id, again.connector_id)
    assert.equal(2, #own_connectors(client, "tenant-acme"))
  end)

  it("keeps tenants apart", function()
    local a = setup_tenant_resources("a")
    setup_tenant_resources("b")
    local client = new_client()
    local e = catch(client.saved_objects.get, client.saved_objects,
      { type = "dashboard", id = a.dashboard_id, space_id = "tenant-b" })
    assert.is_true(errors.is(e, errors.NotFoundError))
    assert.equal("tenant-b", e.space_id)
  end)
end)

describe("guide pattern 2: environment-based spaces", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    for _, id in ipairs{ "dev", "staging", "prod" } do c.spaces:create{ id = id, name = id } end
  end)

  local space_map = { development = "dev", staging = "staging", production = "prod" }
  local function get_environment_client(env)
    local client = new_client()
    env = env or os.getenv("ENVIRONMENT") or "development"
    return client:space(space_map[env] or "dev")
  end

  it("scopes the client to the environment's space", function()
    for env, space in pairs(space_map) do
      local env_client = get_environment_client(env)
      assert.equal(space, env_client.space_id)
      local conn = env_client.actions:create{ name = "App Connector", connector_type_id = ".index",
                                              config = { index = "app-logs" } }
      assert.equal(conn.id, new_client().actions:get{ id = conn.id, space_id = space }.id)
    end
  end)

  it("falls back to dev for an unknown environment", function()
    assert.equal("dev", get_environment_client("qa").space_id)
  end)
end)

describe("guide pattern 3: cross-space operations", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "development", name = "Development" }
    c.spaces:create{ id = "staging", name = "Staging" }
  end)

  local function copy_connector_to_space(client, connector_id, source_space, target_space)
    local source_connector = client.actions:get{ id = connector_id, space_id = source_space }
    local new_connector = client.actions:create{
      name = source_connector.name,
      connector_type_id = source_connector.connector_type_id,
      config = source_connector.config,
      secrets = source_connector.secrets or {}, -- Kibana never returns secrets
      space_id = target_space,
    }
    return new_connector.id
  end

  it("copies a connector, config included (nulls and all), into the target space", function()
    local client = new_client()
    client.actions:create{ id = "original-id", name = "Original", connector_type_id = ".index",
                           config = { index = "orig", refresh = true }, space_id = "development" }
    local new_id = copy_connector_to_space(client, "original-id", "development", "staging")
    assert.are_not.equal("original-id", new_id)
    local copy = client.actions:get{ id = new_id, space_id = "staging" }
    assert.equal("Original", copy.name)
    assert.equal("orig", copy.config.index)
    assert.is_true(copy.config.refresh)
    assert.equal(kibana.null, copy.config.executionTimeField)
    local e = catch(client.actions.get, client.actions, { id = new_id, space_id = "development" })
    assert.is_true(errors.is(e, errors.NotFoundError))
  end)
end)

describe("guide issue 1: space not found", function()
  before_each(emu.reset)

  it("list the available spaces with get_all", function()
    local client = new_client()
    client.spaces:create{ id = "marketing", name = "Marketing" }
    local ids = {}
    for _, s in ipairs(client.spaces:get_all()) do ids[#ids + 1] = s.id end
    table.sort(ids)
    assert.same({ "default", "marketing" }, ids)
  end)

  it("create the space if needed, ignoring a ConflictError", function()
    local client = new_client()
    for _ = 1, 2 do
      local ok, err = pcall(client.spaces.create, client.spaces,
        { id = "marketing", name = "Marketing", description = "Marketing team space" })
      assert.is_true(ok or errors.is(err, errors.ConflictError))
    end
    assert.equal("Marketing team space", client.spaces:get("marketing").description)
  end)

  it("a space id with capitals or spaces is an InvalidSpaceIdError before any request", function()
    local client = new_client()
    local m = mark()
    for _, id in ipairs{ "Marketing Team", "SalesTeam", "support team", "marketing\n" } do
      local e = catch(client.actions.get_all, client.actions, { space_id = id })
      assert.is_true(errors.is(e, errors.InvalidSpaceIdError))
      assert.is_true(errors.is(e, errors.ValidationError))
    end
    assert.equal(0, #since(m))
  end)

  it("underscores are valid in Kibana space ids (the guide calls them incorrect; Kibana does not)", function()
    local client = new_client()
    client.spaces:create{ id = "marketing_team", name = "Marketing team" }
    assert.is_table(client.actions:get_all{ space_id = "marketing_team" })
  end)
end)

describe("guide issue 2: resources not found in the expected space", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.spaces:create{ id = "sales", name = "Sales" }
  end)

  local function find_connector_space(client, connector_id)
    for _, space in ipairs(client.spaces:get_all()) do
      local ok, err = pcall(client.actions.get, client.actions, { id = connector_id, space_id = space.id })
      if ok then return space.id end
      if not errors.is(err, errors.NotFoundError) then error(err, 0) end
    end
    return nil
  end

  it("list a space's connectors by name", function()
    local client = new_client()
    client.actions:create{ name = "m1", connector_type_id = ".index", config = { index = "m" }, space_id = "marketing" }
    local names = {}
    for _, c in ipairs(own_connectors(client, "marketing")) do names[#names + 1] = c.name end
    assert.same({ "m1" }, names)
  end)

  it("check the default space: NotFoundError when it is not there", function()
    local client = new_client()
    local conn = client.actions:create{ name = "m1", connector_type_id = ".index", config = { index = "m" },
                                        space_id = "marketing" }
    local e = catch(client.actions.get, client.actions, { id = conn.id })
    assert.is_true(errors.is(e, errors.NotFoundError))
  end)

  it("search every space for a connector", function()
    local client = new_client()
    client.actions:create{ id = "my-connector-id", name = "x", connector_type_id = ".index",
                           config = { index = "x" }, space_id = "sales" }
    assert.equal("sales", find_connector_space(client, "my-connector-id"))
    assert.is_nil(find_connector_space(client, "nowhere-id"))
  end)
end)

describe("guide issue 3: the cost of validation", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    for _, id in ipairs{ "marketing", "sales", "support" } do c.spaces:create{ id = id, name = id } end
  end)

  it("100 calls with space_id validate once (cached after the first)", function()
    local client = new_client()
    local m = mark()
    for i = 1, 100 do
      client.actions:create{ name = "Connector " .. i, connector_type_id = ".index",
                             config = { index = "logs-" .. i }, space_id = "marketing" }
    end
    assert.equal(1, validations(m))
    assert.equal(101, #since(m))
  end)

  it("a scoped client validates once for 100 calls", function()
    local client = new_client()
    local m = mark()
    local marketing_client = client:space("marketing")
    for i = 1, 100 do
      marketing_client.actions:create{ name = "Connector " .. i, connector_type_id = ".index",
                                       config = { index = "logs-" .. i } }
    end
    assert.equal(1, validations(m))
    assert.equal(101, #since(m))
  end)

  it("validate = false sends no validation", function()
    local client = new_client()
    local m = mark()
    local fast_client = client:space("marketing", { validate = false })
    fast_client.actions:create{ name = "Fast Connector", connector_type_id = ".index", config = { index = "logs" } }
    assert.equal(0, validations(m))
    assert.equal(1, #since(m))
  end)

  it("pre-warming the cache with client:space makes the later space_id calls free", function()
    local client = new_client()
    local spaces = { "marketing", "sales", "support" }
    local m = mark()
    for _, space_id in ipairs(spaces) do client:space(space_id) end
    assert.equal(3, validations(m))
    local m2 = mark()
    for _, space_id in ipairs(spaces) do
      client.actions:create{ name = "Connector for " .. space_id, connector_type_id = ".index",
                             config = { index = space_id .. "-logs" }, space_id = space_id }
    end
    assert.equal(0, validations(m2))
    assert.equal(3, #since(m2))
  end)
end)

describe("guide test 1: backward compatibility", function()
  before_each(emu.reset)

  it("creates and deletes a connector in the default space", function()
    local client = new_client()
    local m = mark()
    local connector = client.actions:create{ name = "Backward Compat Test", connector_type_id = ".index",
                                             config = { index = "test" } }
    assert.is_true(client.actions:delete{ id = connector.id })
    assert.equal(0, #own_connectors(client))
    assert.equal(0, #since(m, nil, "^/s/"))
    assert.equal(0, validations(m))
  end)
end)

describe("guide test 2: space isolation", function()
  before_each(emu.reset)

  it("creates two spaces, isolates a connector in the first, then cleans up", function()
    local client = new_client()
    for _, space_id in ipairs{ "test-space-1", "test-space-2" } do
      pcall(client.spaces.create, client.spaces, { id = space_id, name = "Test Space " .. space_id,
                                                    description = "Temporary test space" })
    end
    local connector = client.actions:create{ name = "Isolation Test", connector_type_id = ".index",
                                             config = { index = "test" }, space_id = "test-space-1" }
    local connector_id = connector.id
    assert.equal(connector_id, client.actions:get{ id = connector_id, space_id = "test-space-1" }.id)
    local e = catch(client.actions.get, client.actions, { id = connector_id, space_id = "test-space-2" })
    assert.is_true(errors.is(e, errors.NotFoundError))
    assert.is_false(errors.is(e, errors.SpaceNotFoundError))
    -- cleanup
    assert.is_true(client.actions:delete{ id = connector_id, space_id = "test-space-1" })
    for _, space_id in ipairs{ "test-space-1", "test-space-2" } do
      assert.is_true(client.spaces:delete{ id = space_id })
    end
    e = catch(client.actions.get_all, client.actions, { space_id = "test-space-1" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
  end)
end)

describe("guide test 3: performance", function()
  before_each(emu.reset)

  it("costs 1 validation + 20 calls per space_id loop, 1 + 20 scoped, 0 + 20 without validation", function()
    local client = new_client()
    pcall(client.spaces.create, client.spaces, { id = "perf-test", name = "Performance Test",
                                                 description = "Temporary test space" })

    -- Test 1: individual space_id parameters (with caching)
    local m = mark()
    for i = 0, 9 do
      local connector = client.actions:create{ name = "Perf Test " .. i, connector_type_id = ".index",
                                               config = { index = "test-" .. i }, space_id = "perf-test" }
      client.actions:delete{ id = connector.id, space_id = "perf-test" }
    end
    assert.equal(1, validations(m, "perf-test"))
    assert.equal(21, #since(m))

    -- Test 2: space-scoped client (validates fresh at creation)
    m = mark()
    local perf_client = client:space("perf-test")
    for i = 0, 9 do
      local connector = perf_client.actions:create{ name = "Perf Test " .. i, connector_type_id = ".index",
                                                    config = { index = "test-" .. i } }
      perf_client.actions:delete(connector.id)
    end
    assert.equal(1, validations(m, "perf-test"))
    assert.equal(21, #since(m))

    -- Test 3: no validation
    m = mark()
    local fast_client = client:space("perf-test", { validate = false })
    for i = 0, 9 do
      local connector = fast_client.actions:create{ name = "Perf Test " .. i, connector_type_id = ".index",
                                                    config = { index = "test-" .. i } }
      fast_client.actions:delete(connector.id)
    end
    assert.equal(0, validations(m))
    assert.equal(20, #since(m))
    for _, r in ipairs(since(m)) do
      assert.equal("perf-test", r.space)
    end

    -- cleanup
    assert.is_true(client.spaces:delete("perf-test"))
    assert.equal(0, #own_connectors(client))
  end)
end)

describe("guide best practice 2: handle space errors gracefully", function()
  before_each(emu.reset)

  it("creates the space named by the SpaceNotFoundError and retries the call", function()
    local client = new_client()
    local params = { name = "My Connector", connector_type_id = ".index", config = { index = "logs" },
                     space_id = "marketing" }
    local ok, connector = pcall(client.actions.create, client.actions, params)
    if not ok then
      local e = connector
      assert.is_true(errors.is(e, errors.SpaceNotFoundError))
      client.spaces:create{ id = e.space_id, name = e.space_id:sub(1, 1):upper() .. e.space_id:sub(2),
                            description = "Auto-created space for " .. e.space_id }
      connector = client.actions:create(params)
    end
    assert.is_false(ok)
    assert.equal("Marketing", client.spaces:get("marketing").name)
    assert.equal(connector.id, client.actions:get{ id = connector.id, space_id = "marketing" }.id)
  end)
end)

describe("guide best practice 3: document space requirements", function()
  before_each(emu.reset)

  local function create_tenant_dashboard(client, tenant_id, dashboard_config)
    local tenant_client = client:space("tenant-" .. tenant_id)
    return tenant_client.saved_objects:create{ type = "dashboard", attributes = dashboard_config }.id
  end

  it("fails with SpaceNotFoundError until the tenant space exists, then creates the dashboard there", function()
    local client = new_client()
    local e = catch(create_tenant_dashboard, client, "acme", { title = "Acme" })
    assert.is_true(errors.is(e, errors.SpaceNotFoundError))
    assert.equal("tenant-acme", e.space_id)
    client.spaces:create{ id = "tenant-acme", name = "Acme" }
    local id = create_tenant_dashboard(client, "acme", { title = "Acme" })
    assert.equal("Acme", client.saved_objects:get{ type = "dashboard", id = id, space_id = "tenant-acme" }.attributes.title)
  end)
end)

describe("guide best practice 4: consistent space naming", function()
  it("kebab-case ids pass the client's check; camel case and spaces do not", function()
    local core = require "kibana.core"
    for _, id in ipairs{ "marketing-team", "sales-team", "support-team", "marketing_team" } do
      assert.is_true(core.valid_space_id(id), id)
    end
    for _, id in ipairs{ "SalesTeam", "support team" } do
      assert.is_false(core.valid_space_id(id), id)
    end
  end)
end)

describe("guide rollback: back to the default space", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("removing space_id puts the call back in the default space", function()
    local client = new_client()
    local m = mark()
    local connector = client.actions:create{ name = "My Connector", connector_type_id = ".index",
                                             config = { index = "logs" } }
    assert.equal(connector.id, client.actions:get(connector.id).id)
    assert.equal(0, #since(m, nil, "^/s/"))
  end)

  -- The guide's version also "migrates" preconfigured connectors, which Kibana
  -- lists in every space and refuses to delete; the Lua version skips them.
  local function migrate_to_default_space(client, source_space)
    local migrated = {}
    for _, connector in ipairs(client.actions:get_all{ space_id = source_space }) do
      if not connector.is_preconfigured then
        local new_connector = client.actions:create{
          name = connector.name,
          connector_type_id = connector.connector_type_id,
          config = connector.config,
          secrets = connector.secrets or {},
        }
        client.actions:delete{ id = connector.id, space_id = source_space }
        migrated[#migrated + 1] = { old_id = connector.id, new_id = new_connector.id, name = connector.name }
      end
    end
    return migrated
  end

  it("migrates every connector of a space to the default space", function()
    local client = new_client()
    local m1 = client:space("marketing")
    m1.actions:create{ name = "one", connector_type_id = ".index", config = { index = "one" } }
    m1.actions:create{ name = "two", connector_type_id = ".index", config = { index = "two" } }
    local migrated = migrate_to_default_space(client, "marketing")
    assert.equal(2, #migrated)
    assert.equal(0, #own_connectors(client, "marketing"))
    local names = {}
    for _, c in ipairs(own_connectors(client)) do names[#names + 1] = c.name end
    table.sort(names)
    assert.same({ "one", "two" }, names)
    for _, mig in ipairs(migrated) do
      assert.equal(mig.name, client.actions:get(mig.new_id).name)
    end
  end)
end)
