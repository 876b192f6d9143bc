-- The Spaces API of the Kibana emulator (BEHAVIOUR §3, with §1.1, §2.5, §6, §7).
-- Runs against a live emulator (spec/support/emulator.lua).

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"

local NOT_FOUND = { statusCode = 404, error = "Not Found", message = "Not Found" }
local DEFAULT_SPACE = {
  id = "default", name = "Default", description = "This is your default space!", color = "#00bfb3",
  disabledFeatures = {}, _reserved = true,
}

local function err(status, message, attributes)
  local e = { statusCode = status, error = require("emu.http").reason(status), message = message }
  if attributes then e.attributes = attributes end
  return e
end

local function bad(message) return err(400, message) end

local function create(body, opts)
  local r = http.post("/api/spaces/space", body, opts)
  assert.are.equal(200, r.status, r.body)
  return r.json
end

local function ids(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = s.id end
  return out
end

local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

before_each(function() emu.reset() end)

describe("BEHAVIOUR §3.3 the default space", function()
  it("exists after a reset with Kibana's attributes", function()
    local r = http.get("/api/spaces/space/default")
    assert.are.equal(200, r.status)
    assert.are.same(DEFAULT_SPACE, r.json)
    assert.is_true(json.is_array(r.json.disabledFeatures))
    assert.truthy(r.body:find('"disabledFeatures":[]', 1, true))
  end)

  it("cannot be deleted: 400 reserved", function()
    local r = http.delete("/api/spaces/space/default")
    assert.are.same(bad("The default space cannot be deleted because it is reserved."), r.json)
    assert.are.equal(200, http.get("/api/spaces/space/default").status)
  end)

  it("can be updated and keeps _reserved: true even when the body says false", function()
    local r = http.put("/api/spaces/space/default",
      { id = "default", name = "Home", description = "mine", _reserved = false })
    assert.are.equal(200, r.status)
    assert.are.same({ id = "default", name = "Home", description = "mine", color = "#00bfb3",
                      disabledFeatures = {}, _reserved = true }, r.json)
  end)
end)

describe("BEHAVIOUR §3.1 POST /api/spaces/space (create)", function()
  it("answers 200 with the space, undefined fields omitted and disabledFeatures defaulted to []", function()
    local r = http.post("/api/spaces/space", { id = "marketing", name = "Marketing" })
    assert.are.equal(200, r.status)
    assert.are.same({ id = "marketing", name = "Marketing", disabledFeatures = {} }, r.json)
    assert.are.same({ "disabledFeatures", "id", "name" }, keys(r.json))
    assert.truthy(r.body:find('"disabledFeatures":[]', 1, true))
  end)

  it("stores every optional field", function()
    local body = { id = "full", name = "Full", description = "d", color = "#AbC123", initials = "FU",
                   imageUrl = "data:image/png;base64,AAAA", disabledFeatures = { "dev_tools", "ml" },
                   solution = "es" }
    local s = create(body)
    assert.are.same(body, s)
    assert.are.same(body, http.get("/api/spaces/space/full").json)
  end)

  it("ignores _reserved: the new space is not reserved and can be deleted", function()
    local s = create{ id = "res", name = "Res", _reserved = true }
    assert.is_nil(s._reserved)
    assert.are.equal(204, http.delete("/api/spaces/space/res").status)
  end)

  it("trims the name", function()
    assert.are.equal("Padded", create{ id = "pad", name = "  Padded \t" }.name)
  end)

  it("answers 409 for an existing id, including default", function()
    create{ id = "dup", name = "Dup" }
    assert.are.same(err(409, "A space with the identifier dup already exists."),
      http.post("/api/spaces/space", { id = "dup", name = "Again" }).json)
    assert.are.same(err(409, "A space with the identifier default already exists."),
      http.post("/api/spaces/space", { id = "default", name = "D" }).json)
  end)

  it("is global: the /s/<id> prefix does not change where the space goes", function()
    create({ id = "viaprefix", name = "P" })
    assert.are.equal(200, http.get("/s/other/api/spaces/space/viaprefix").status)
  end)

  describe("validation (§3.2, exact config-schema messages)", function()
    local cases = {
      { { name = "x" }, "[request body.id]: expected value of type [string] but got [undefined]" },
      { { id = "Foo", name = "x" }, "[request body.id]: must be lower case, a-z, 0-9, '_', and '-' are allowed" },
      { { id = "", name = "x" }, "[request body.id]: must be lower case, a-z, 0-9, '_', and '-' are allowed" },
      { { id = "a b", name = "x" }, "[request body.id]: must be lower case, a-z, 0-9, '_', and '-' are allowed" },
      { { id = 5, name = "x" }, "[request body.id]: expected value of type [string] but got [number]" },
      { { id = "a" }, "[request body.name]: expected value of type [string] but got [undefined]" },
      { { id = "a", name = "" }, "[request body.name]: value has length [0] but it must have a minimum length of [1]." },
      { { id = "a", name = json.null }, "[request body.name]: expected value of type [string] but got [null]" },
      { { id = "a", name = "x", description = 1 },
        "[request body.description]: expected value of type [string] but got [number]" },
      { { id = "a", name = "x", initials = "ABC" },
        "[request body.initials]: value has length [3] but it must have a maximum length of [2]." },
      { { id = "a", name = "x", color = "#12345" }, "[request body.color]: must be a 6 digit hex color, starting with a #" },
      { { id = "a", name = "x", color = "123456" }, "[request body.color]: must be a 6 digit hex color, starting with a #" },
      { { id = "a", name = "x", imageUrl = "http://x/y.png" }, "[request body.imageUrl]: must start with 'data:image'" },
      { { id = "a", name = "x", disabledFeatures = {} },
        "[request body.disabledFeatures]: expected value of type [array] but got [Object]" },
      { { id = "a", name = "x", disabledFeatures = "ml" },
        "[request body.disabledFeatures]: could not parse array value from json input" },
      { { id = "a", name = "x", disabledFeatures = { "ml", true } },
        "[request body.disabledFeatures.1]: expected value of type [string] but got [boolean]" },
      { { id = "a", name = "x", _reserved = "yes" },
        "[request body._reserved]: expected value of type [boolean] but got [string]" },
      { { id = "a", name = "x", nope = 1 }, "[request body.nope]: definition for this key is missing" },
      { { id = "a", name = "x", solution = "x" }, "[request body.solution]: types that failed validation:\n" ..
        "- [request body.solution.0]: expected value to equal [security]\n" ..
        "- [request body.solution.1]: expected value to equal [oblt]\n" ..
        "- [request body.solution.2]: expected value to equal [es]\n" ..
        "- [request body.solution.3]: expected value to equal [classic]" },
    }
    for i, c in ipairs(cases) do
      it("case " .. i .. ": " .. c[2]:sub(1, 60), function()
        local r = http.post("/api/spaces/space", c[1])
        assert.are.equal(400, r.status)
        assert.are.same(bad(c[2]), r.json)
        assert.are.equal(1, #http.get("/api/spaces/space").json)
      end)
    end

    it("accepts an empty imageUrl and up to 100 disabledFeatures; 101 is refused", function()
      local hundred = {}
      for i = 1, 100 do hundred[i] = "f" .. i end
      create{ id = "img", name = "x", imageUrl = "", disabledFeatures = hundred }
      hundred[101] = "f101"
      assert.are.same(bad("[request body.disabledFeatures]: array size is [101], but cannot be greater than [100]"),
        http.post("/api/spaces/space", { id = "img2", name = "x", disabledFeatures = hundred }).json)
    end)
  end)
end)

describe("BEHAVIOUR §3.1 GET /api/spaces/space (get all)", function()
  it("lists every space sorted by name (then id)", function()
    create{ id = "z", name = "Alpha" }
    create{ id = "a", name = "Zeta" }
    create{ id = "m", name = "Beta" }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.same({ "z", "m", "default", "a" }, ids(r.json))
    assert.are.same(DEFAULT_SPACE, r.json[3])
  end)

  it("accepts each purpose; without security restrictions it changes nothing", function()
    create{ id = "p", name = "P" }
    for _, purpose in ipairs{ "any", "copySavedObjectsIntoSpace", "shareSavedObjectsIntoSpace" } do
      local r = http.get("/api/spaces/space?purpose=" .. purpose)
      assert.are.equal(200, r.status, purpose)
      assert.are.same({ "default", "p" }, ids(r.json))
    end
  end)

  it("adds authorizedPurposes with include_authorized_purposes=true", function()
    local r = http.get("/api/spaces/space?include_authorized_purposes=true")
    assert.are.same({ any = true, copySavedObjectsIntoSpace = true, findSavedObjects = true,
                      shareSavedObjectsIntoSpace = true }, r.json[1].authorizedPurposes)
    r = http.get("/api/spaces/space?include_authorized_purposes=false")
    assert.is_nil(r.json[1].authorizedPurposes)
  end)

  it("validates the query", function()
    assert.are.same(bad("[request query]: include_authorized_purposes can only be false when purpose is specified"),
      http.get("/api/spaces/space?purpose=any&include_authorized_purposes=true").json)
    assert.are.same(bad("[request query.purpose]: types that failed validation:\n" ..
      "- [request query.purpose.0]: expected value to equal [any]\n" ..
      "- [request query.purpose.1]: expected value to equal [copySavedObjectsIntoSpace]\n" ..
      "- [request query.purpose.2]: expected value to equal [shareSavedObjectsIntoSpace]"),
      http.get("/api/spaces/space?purpose=nope").json)
    assert.are.same(bad("[request query.include_authorized_purposes]: expected value of type [boolean] but got [string]"),
      http.get("/api/spaces/space?include_authorized_purposes=maybe").json)
    assert.are.same(bad("[request query.foo]: definition for this key is missing"),
      http.get("/api/spaces/space?foo=1").json)
  end)
end)

describe("BEHAVIOUR §3.1 GET /api/spaces/space/{id}", function()
  it("answers the space, or 404 Not Found", function()
    create{ id = "one", name = "One", color = "#000000" }
    assert.are.same({ id = "one", name = "One", color = "#000000", disabledFeatures = {} },
      http.get("/api/spaces/space/one").json)
    local r = http.get("/api/spaces/space/two")
    assert.are.equal(404, r.status)
    assert.are.same(NOT_FOUND, r.json)
    assert.are.same(NOT_FOUND, http.get("/api/spaces/space/ONE").json)
  end)
end)

describe("BEHAVIOUR §3.1 PUT /api/spaces/space/{id} (update)", function()
  it("updates the space named by the path (the body id is not used)", function()
    create{ id = "u", name = "U", description = "old", color = "#111111" }
    local r = http.put("/api/spaces/space/u", { id = "other", name = "U2", color = "#222222",
                                                disabledFeatures = { "ml" }, _reserved = true })
    assert.are.equal(200, r.status)
    -- a partial update of the stored attributes: the description not sent is kept (inferred, §3.1)
    assert.are.same({ id = "u", name = "U2", description = "old", color = "#222222", disabledFeatures = { "ml" } },
      r.json)
    assert.are.same(r.json, http.get("/api/spaces/space/u").json)
    assert.are.same(NOT_FOUND, http.get("/api/spaces/space/other").json)
  end)

  it("answers 404 for a missing space (no upsert)", function()
    local r = http.put("/api/spaces/space/ghost", { id = "ghost", name = "G" })
    assert.are.same(NOT_FOUND, r.json)
    assert.are.same(NOT_FOUND, http.get("/api/spaces/space/ghost").json)
  end)

  it("validates the body like create", function()
    assert.are.same(bad("[request body.name]: expected value of type [string] but got [undefined]"),
      http.put("/api/spaces/space/default", { id = "default" }).json)
    assert.are.same(bad("[request body.disabledFeatures]: expected value of type [array] but got [Object]"),
      http.put("/api/spaces/space/default", { id = "default", name = "D", disabledFeatures = {} }).json)
  end)
end)

describe("BEHAVIOUR §3.1 / §3.4 DELETE /api/spaces/space/{id}", function()
  it("answers 204 with an empty body; then 404", function()
    create{ id = "gone", name = "Gone" }
    local r = http.delete("/api/spaces/space/gone")
    assert.are.equal(204, r.status)
    assert.are.equal("", r.body)
    assert.is_nil(r.headers["content-type"])
    assert.are.same(NOT_FOUND, http.get("/api/spaces/space/gone").json)
    assert.are.same(NOT_FOUND, http.delete("/api/spaces/space/gone").json)
  end)

  it("deletes the space's connectors and saved objects, permanently", function()
    create{ id = "doomed", name = "Doomed" }
    local c = http.post("/s/doomed/api/actions/connector", { name = "c", connector_type_id = ".server-log" })
    assert.are.equal(200, c.status)
    local o = http.post("/s/doomed/api/saved_objects/dashboard/d1", { attributes = { title = "D" } })
    assert.are.equal(200, o.status)
    local kept = http.post("/api/saved_objects/dashboard/d2", { attributes = { title = "kept" } })
    assert.are.equal(200, kept.status)
    assert.are.equal(204, http.delete("/api/spaces/space/doomed").status)
    create{ id = "doomed", name = "Doomed again" }
    assert.are.same(err(404, "Saved object [action/" .. c.json.id .. "] not found"),
      http.get("/s/doomed/api/actions/connector/" .. c.json.id).json)
    assert.are.equal(404, http.get("/s/doomed/api/saved_objects/dashboard/d1").status)
    assert.are.equal("kept", http.get("/api/saved_objects/dashboard/d2").json.attributes.title)
  end)
end)

describe("BEHAVIOUR §3.1 POST /api/spaces/_copy_saved_objects", function()
  local function dashboard(space, id, refs)
    local prefix = space == "default" and "" or ("/s/" .. space)
    local r = http.post(prefix .. "/api/saved_objects/dashboard/" .. id,
      { attributes = { title = "Dash " .. id }, references = refs })
    assert.are.equal(200, r.status, r.body)
    return r.json
  end

  it("validates the body", function()
    local obj = { { type = "dashboard", id = "d" } }
    local cases = {
      { { objects = obj }, "[request body.spaces]: expected value of type [array] but got [undefined]" },
      { { spaces = { "a" } }, "[request body.objects]: expected value of type [array] but got [undefined]" },
      { { spaces = { "a", "a" }, objects = obj }, "[request body.spaces]: duplicate space ids are not allowed" },
      { { spaces = { "ok", "Not OK" }, objects = obj },
        '[request body.spaces.1]: lower case, a-z, 0-9, "_", and "-" are allowed' },
      { { spaces = { "a" }, objects = { obj[1], obj[1] } }, "[request body.objects]: duplicate objects are not allowed" },
      { { spaces = { "a" }, objects = { { type = "dashboard" } } },
        "[request body.objects.0.id]: expected value of type [string] but got [undefined]" },
      { { spaces = { "a" }, objects = obj, overwrite = true }, "[request body]: cannot use [overwrite] with [createNewCopies]" },
      { { spaces = { "a" }, objects = obj, compatibilityMode = true },
        "[request body]: cannot use [compatibilityMode] with [createNewCopies]" },
      { { spaces = { "a" }, objects = obj, extra = 1 }, "[request body.extra]: definition for this key is missing" },
    }
    for _, c in ipairs(cases) do
      assert.are.same(bad(c[2]), http.post("/api/spaces/_copy_saved_objects", c[1]).json)
    end
  end)

  it("answers 404 Saved objects not found, listing the missing source objects", function()
    local r = http.post("/api/spaces/_copy_saved_objects",
      { spaces = { "a" }, objects = { { type = "dashboard", id = "nope" } } })
    assert.are.equal(404, r.status)
    assert.are.same(err(404, "Saved objects not found", { objects = { { id = "nope", type = "dashboard" } } }), r.json)
  end)

  it("copies from the URL's space into each destination, with per-space results", function()
    create{ id = "src", name = "Source" }
    create{ id = "dst1", name = "D1" }
    dashboard("src", "dash1")
    local r = http.post("/s/src/api/spaces/_copy_saved_objects", {
      spaces = { "dst1", "dst2" }, objects = { { type = "dashboard", id = "dash1" } },
      createNewCopies = false })
    assert.are.equal(200, r.status, r.body)
    for _, space in ipairs{ "dst1", "dst2" } do
      assert.is_true(r.json[space].success, space)
      assert.are.equal(1, r.json[space].successCount, space)
      local res = r.json[space].successResults[1]
      assert.are.equal("dash1", res.id)
      assert.are.equal("dashboard", res.type)
      -- dashboards are multiple-isolated: the id is taken (in src), so the copy may get a new one
      local got = http.get("/s/" .. space .. "/api/saved_objects/dashboard/" .. (res.destinationId or "dash1"))
      assert.are.equal(200, got.status, space)
      assert.are.equal("Dash dash1", got.json.attributes.title)
      assert.are.same({ space }, got.json.namespaces)
    end
    -- dst2 does not exist as a space: the copy still went in (BEHAVIOUR §1.2 point 5)
    assert.are.same(NOT_FOUND, http.get("/api/spaces/space/dst2").json)
  end)

  it("creates new copies by default (a new destinationId)", function()
    dashboard("default", "orig")
    local r = http.post("/api/spaces/_copy_saved_objects",
      { spaces = { "copies" }, objects = { { type = "dashboard", id = "orig" } } })
    assert.are.equal(200, r.status, r.body)
    local res = r.json.copies
    assert.is_true(res.success)
    local dest = res.successResults[1].destinationId
    assert.is_string(dest)
    assert.are_not.equal("orig", dest)
    assert.are.equal(200, http.get("/s/copies/api/saved_objects/dashboard/" .. dest).status)
  end)
end)

describe("BEHAVIOUR §3.1 POST /api/spaces/_resolve_copy_saved_objects_errors", function()
  it("validates the body, with config-schema's key(\"...\") path for bad space ids", function()
    local obj = { { type = "dashboard", id = "d" } }
    assert.are.same(bad('[request body.retries.key("Bad!")]: Invalid space id: Bad!'),
      http.post("/api/spaces/_resolve_copy_saved_objects_errors",
        { retries = { ["Bad!"] = {} }, objects = obj }).json)
    assert.are.same(bad("[request body.retries.a.0.id]: expected value of type [string] but got [undefined]"),
      http.post("/api/spaces/_resolve_copy_saved_objects_errors",
        { retries = { a = { { type = "dashboard" } } }, objects = obj }).json)
    assert.are.same(bad("[request body]: cannot use [createNewCopies] with [compatibilityMode]"),
      http.post("/api/spaces/_resolve_copy_saved_objects_errors",
        { retries = {}, objects = obj, compatibilityMode = true }).json)
  end)
end)

describe("BEHAVIOUR §3.1 copy conflicts resolved with _resolve_copy_saved_objects_errors", function()
  it("reports a conflict on the second copy and overwrites it on retry", function()
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/d1", { attributes = { title = "d" } }).status)
    local body = { spaces = { "b" }, objects = { { type = "dashboard", id = "d1" } }, createNewCopies = false }
    local first = http.post("/api/spaces/_copy_saved_objects", body).json.b
    assert.is_true(first.success)
    local dest = first.successResults[1].destinationId or "d1"
    local second = http.post("/api/spaces/_copy_saved_objects", body).json.b
    assert.is_false(second.success)
    assert.are.equal(0, second.successCount)
    assert.are.equal("conflict", second.errors[1].error.type)
    assert.are.equal("d1", second.errors[1].id)
    local r = http.post("/api/spaces/_resolve_copy_saved_objects_errors", {
      retries = { b = { { type = "dashboard", id = "d1", overwrite = true, destinationId = dest } } },
      objects = { { type = "dashboard", id = "d1" } }, createNewCopies = false })
    assert.are.equal(200, r.status, r.body)
    assert.is_true(r.json.b.success)
    assert.are.equal(1, r.json.b.successCount)
    assert.is_true(r.json.b.successResults[1].overwrite)
  end)
end)

describe("BEHAVIOUR §3.1 _update_objects_spaces, _get_shareable_references, _disable_legacy_url_aliases", function()
  before_each(function()
    assert.are.equal(200, http.post("/api/saved_objects/index-pattern/ip1", { attributes = { title = "ip" } }).status)
  end)

  it("shares an object to more spaces and back", function()
    local obj = { { type = "index-pattern", id = "ip1" } }
    local r = http.post("/api/spaces/_update_objects_spaces", { objects = obj, spacesToAdd = { "a" }, spacesToRemove = json.array() })
    assert.are.equal(200, r.status, r.body)
    assert.are.same({ objects = { { type = "index-pattern", id = "ip1", spaces = { "default", "a" } } } }, r.json)
    assert.are.equal(200, http.get("/s/a/api/saved_objects/index-pattern/ip1").status)
    r = http.post("/api/spaces/_update_objects_spaces", { objects = obj, spacesToAdd = json.array(), spacesToRemove = { "a" } })
    assert.are.same({ "default" }, r.json.objects[1].spaces)
    assert.are.equal(404, http.get("/s/a/api/saved_objects/index-pattern/ip1").status)
  end)

  it("validates the share body", function()
    local obj = { { type = "index-pattern", id = "ip1" } }
    assert.are.same(bad('[request body.spacesToAdd.0]: lower case, a-z, 0-9, "_", and "-" are allowed, OR "*"'),
      http.post("/api/spaces/_update_objects_spaces", { objects = obj, spacesToAdd = { "A" }, spacesToRemove = json.array() }).json)
    assert.are.same(bad("[request body.spacesToRemove]: duplicate space ids are not allowed"),
      http.post("/api/spaces/_update_objects_spaces",
        { objects = obj, spacesToAdd = json.array(), spacesToRemove = { "*", "*" } }).json)
    assert.are.same(bad("[request body.spacesToRemove]: expected value of type [array] but got [undefined]"),
      http.post("/api/spaces/_update_objects_spaces", { objects = obj, spacesToAdd = { "a" } }).json)
  end)

  it("collects shareable references", function()
    local r = http.post("/api/spaces/_get_shareable_references", { objects = { { type = "index-pattern", id = "ip1" } } })
    assert.are.equal(200, r.status, r.body)
    assert.are.equal(1, #r.json.objects)
    assert.are.equal("ip1", r.json.objects[1].id)
    assert.are.same({ "default" }, r.json.objects[1].spaces)
    assert.are.same({}, r.json.objects[1].inboundReferences)
    assert.are.same(bad("[request body.objects]: expected value of type [array] but got [undefined]"),
      http.post("/api/spaces/_get_shareable_references", {}).json)
  end)

  it("disables legacy URL aliases: 204", function()
    local r = http.post("/api/spaces/_disable_legacy_url_aliases",
      { aliases = { { targetSpace = "a", targetType = "dashboard", sourceId = "x" } } })
    assert.are.equal(204, r.status)
    assert.are.equal("", r.body)
    assert.are.same(bad("[request body.aliases.0.sourceId]: expected value of type [string] but got [undefined]"),
      http.post("/api/spaces/_disable_legacy_url_aliases",
        { aliases = { { targetSpace = "a", targetType = "dashboard" } } }).json)
  end)
end)

describe("BEHAVIOUR §3.1 maxSpaces (xpack.spaces.maxSpaces, set low through --config)", function()
  local inst, cfg
  lazy_setup(function()
    cfg = os.tmpname()
    os.remove(cfg)
    cfg = cfg .. ".json"
    local f = assert(io.open(cfg, "w"))
    f:write('{"max_spaces": 3}')
    f:close()
    inst = assert(emu.start_extra("--config " .. emu.sh_quote(cfg)))
  end)
  lazy_teardown(function()
    if inst then inst.stop() end
    os.remove(cfg)
  end)

  it("refuses the space beyond the limit (the default space counts)", function()
    local o = { url = inst.url }
    assert.are.equal(200, http.post("/api/spaces/space", { id = "s1", name = "1" }, o).status)
    assert.are.equal(200, http.post("/api/spaces/space", { id = "s2", name = "2" }, o).status)
    local r = http.post("/api/spaces/space", { id = "s3", name = "3" }, o)
    assert.are.same(bad("Unable to create Space, this exceeds the maximum number of spaces set by the " ..
      "xpack.spaces.maxSpaces setting"), r.json)
  end)
end)

describe("BEHAVIOUR §1.2 / §2.5 403s for principals limited to named spaces (--config)", function()
  local inst, cfg
  lazy_setup(function()
    cfg = os.tmpname()
    os.remove(cfg)
    cfg = cfg .. ".lua"
    local f = assert(io.open(cfg, "w"))
    f:write([[
      return {
        users = { { username = "mkt", password = "pw", spaces = { "marketing" } },
                  { username = "lost", password = "pw", spaces = { "nowhere" } } },
        api_keys = { { id = "kid", key = "ksecret", name = "ci", spaces = { "marketing" } } },
        bearer_tokens = { { token = "tok-1", username = "svc" } },
        spaces = { { id = "marketing", name = "Marketing" } },
      }
    ]])
    f:close()
    inst = assert(emu.start_extra("--config " .. emu.sh_quote(cfg)))
  end)
  lazy_teardown(function()
    if inst then inst.stop() end
    os.remove(cfg)
  end)

  local function as(user, method, path, body)
    return http.request{ url = inst.url, method = method, path = path, body = body, auth = "basic",
                         user = user, password = user == "elastic" and "changeme" or "pw",
                         headers = { ["kbn-xsrf"] = "x" } }
  end

  it("spaces: only the allowed spaces are listed; others are 403 with the client's messages", function()
    assert.are.same({ "marketing" }, ids(as("mkt", "GET", "/api/spaces/space").json))
    assert.are.same({ "default", "marketing" }, ids(as("elastic", "GET", "/api/spaces/space").json))
    assert.are.equal(200, as("mkt", "GET", "/api/spaces/space/marketing").status)
    assert.are.same(err(403, "Unauthorized to get default space"), as("mkt", "GET", "/api/spaces/space/default").json)
    assert.are.same(err(403, "Unauthorized to create spaces"),
      as("mkt", "POST", "/api/spaces/space", { id = "n", name = "N" }).json)
    assert.are.same(err(403, "Unauthorized to update spaces"),
      as("mkt", "PUT", "/api/spaces/space/marketing", { id = "marketing", name = "M" }).json)
    assert.are.same(err(403, "Unauthorized to delete spaces"), as("mkt", "DELETE", "/api/spaces/space/marketing").json)
    assert.are.same(err(403, "Forbidden"), as("lost", "GET", "/api/spaces/space").json)
  end)

  it("connectors: 403 outside the allowed space, also at a space that does not exist", function()
    local ok = as("mkt", "POST", "/s/marketing/api/actions/connector", { name = "m", connector_type_id = ".server-log" })
    assert.are.equal(200, ok.status)
    assert.are.same(err(403, "Unauthorized to get actions"), as("mkt", "GET", "/api/actions/connectors").json)
    assert.are.same(err(403, "Unauthorized to get actions"), as("mkt", "GET", "/s/ghost/api/actions/connectors").json)
    assert.are.same(err(403, 'Unauthorized to create a ".index" action'),
      as("mkt", "POST", "/api/actions/connector", { name = "x", connector_type_id = ".index",
                                                    config = { index = "i" } }).json)
    assert.are.same(err(403, "Unauthorized to get actions"),
      as("mkt", "GET", "/api/actions/connector/preconfigured-server-log").json)
    assert.are.same(err(403, "Unauthorized to update actions"),
      as("mkt", "PUT", "/api/actions/connector/" .. ok.json.id, { name = "y" }).json)
    assert.are.same(err(403, "Unauthorized to delete actions"),
      as("mkt", "DELETE", "/api/actions/connector/" .. ok.json.id).json)
    assert.are.same(err(403, "Unauthorized to execute actions"),
      as("mkt", "POST", "/api/actions/connector/preconfigured-server-log/_execute", { params = { message = "m" } }).json)
    -- connector types need no privilege
    assert.are.equal(200, as("mkt", "GET", "/api/actions/connector_types").status)
  end)

  it("copy: the source space must be allowed; denied destinations fail per space", function()
    assert.are.same(err(403, "Forbidden"), as("mkt", "POST", "/api/spaces/_copy_saved_objects",
      { spaces = { "marketing" }, objects = { { type = "dashboard", id = "d" } } }).json)
    assert.are.equal(200, as("mkt", "POST", "/s/marketing/api/saved_objects/dashboard/d",
      { attributes = { title = "t" } }).status)
    local r = as("mkt", "POST", "/s/marketing/api/spaces/_copy_saved_objects",
      { spaces = { "default" }, objects = { { type = "dashboard", id = "d" } } })
    assert.are.equal(200, r.status)
    assert.are.same({ success = false, successCount = 0, errors = { { statusCode = 403, error = "Forbidden",
      message = "Unable to bulk_create dashboard" } } }, r.json.default)
  end)

  it("API keys and bearer tokens from the config authenticate, with their limits", function()
    local key = http.b64("kid:ksecret")
    local r = http.request{ url = inst.url, path = "/s/marketing/api/actions/connectors", auth = "apikey", api_key = key }
    assert.are.equal(200, r.status)
    r = http.request{ url = inst.url, path = "/api/actions/connectors", auth = "apikey", api_key = key }
    assert.are.same(err(403, "Unauthorized to get actions"), r.json)
    r = http.request{ url = inst.url, path = "/api/actions/connectors", headers = { authorization = "Bearer tok-1" } }
    assert.are.equal(200, r.status)
    -- the launcher's own key still works
    r = http.request{ url = inst.url, path = "/api/actions/connectors", auth = "apikey", api_key = inst.api_key }
    assert.are.equal(200, r.status)
  end)
end)
