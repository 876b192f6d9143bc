-- The Saved Objects API of the Kibana emulator, over HTTP (BEHAVIOUR §5, §6, §7, §2.5, §1).
-- Needs a running emulator (spec/support/emulator.lua finds it).

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"
local b64 = require("emu.objects").b64_encode

local AUTH = "Basic " .. b64("elastic:changeme")
local DEPRECATED = '299 Kibana-' .. require("emu.config").VERSION .. ' "This endpoint is deprecated"'
local NOT_FOUND = { statusCode = 404, error = "Not Found", message = "Not Found" }

--- One request. body: table (JSON) or string; headers: extra ones, `false` removes a default.
local function call(method, path, body, headers)
    local h = { authorization = AUTH, ["kbn-xsrf"] = "true" }
    local raw = body
    if type(body) == "table" then
        raw = json.encode(body)
        h["content-type"] = "application/json"
    end
    for k, v in pairs(headers or {}) do
        if v == false then h[k] = nil else h[k] = v end
    end
    local res = http.request({ method = method, path = path, headers = h, body = raw })
    if res.json == nil and res.body and res.body ~= "" then res.json = json.decode(res.body) end
    return res
end

local function ok(res, status)
    assert.equal(status or 200, res.status, res.body)
    return res.json
end

local function err(status, message, attributes)
    local e = { statusCode = status, error = require("emu.http").reason(status), message = message }
    if attributes then e.attributes = attributes end
    return e
end

local function create(space, t, id, attrs, extra)
    local body = { attributes = attrs or { title = id } }
    for k, v in pairs(extra or {}) do body[k] = v end
    local prefix = (space and space ~= "default") and ("/s/" .. space) or ""
    return ok(call("POST", prefix .. "/api/saved_objects/" .. t .. (id and ("/" .. id) or ""), body))
end

local function keys(t)
    local out = {}
    for k in pairs(t) do out[#out + 1] = k end
    table.sort(out)
    return out
end

local function ids_of(list)
    local out = {}
    for i, o in ipairs(list) do out[i] = o.id end
    return out
end

local BOUNDARY = "----emulatorSpecBoundary7MA4YWxkTrZu0gW"

local function multipart(parts)
    local out = {}
    for _, p in ipairs(parts) do
        out[#out + 1] = "--" .. BOUNDARY .. "\r\n"
        if p.filename then
            out[#out + 1] = 'Content-Disposition: form-data; name="' .. p.name .. '"; filename="' .. p.filename .. '"\r\n'
            out[#out + 1] = "Content-Type: application/octet-stream\r\n\r\n"
        else
            out[#out + 1] = 'Content-Disposition: form-data; name="' .. p.name .. '"\r\n\r\n'
        end
        out[#out + 1] = p.data .. "\r\n"
    end
    out[#out + 1] = "--" .. BOUNDARY .. "--\r\n"
    return table.concat(out)
end

local function upload(path, parts)
    return call("POST", path, multipart(parts), { ["content-type"] = "multipart/form-data; boundary=" .. BOUNDARY })
end

local function ndjson_of(list)
    local lines = {}
    for i, o in ipairs(list) do lines[i] = json.encode(o) end
    return table.concat(lines, "\n")
end

local function parse_ndjson(text)
    local out = {}
    for line in (text .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = json.decode(line) end
    return out
end

before_each(function() emu.reset() end)

describe("BEHAVIOUR §5.1/§5.2 POST /api/saved_objects/{type}[/{id}] (create)", function()
    it("answers the full object with a UUID v4 id, the deprecation warning and the API version header", function()
        local res = call("POST", "/api/saved_objects/visualization", { attributes = { title = "My favorite vis" } })
        local o = ok(res)
        assert.truthy(o.id:match("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$") and #o.id == 36)
        assert.truthy(o.updated_at:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$"))
        assert.equal(o.updated_at, o.created_at)
        assert.same({ "attributes", "coreMigrationVersion", "created_at", "id", "managed", "migrationVersion",
                      "namespaces", "references", "type", "typeMigrationVersion", "updated_at", "version" }, keys(o))
        assert.same({ title = "My favorite vis" }, o.attributes)
        assert.same({ "default" }, o.namespaces)
        assert.same({}, o.references)
        assert.truthy(res.body:find('"references":[]', 1, true))
        assert.equal("8.8.0", o.coreMigrationVersion)
        assert.same({ visualization = o.typeMigrationVersion }, o.migrationVersion)
        assert.is_false(o.managed)
        assert.truthy(o.version:match("^[%w+/=]+$"))
        assert.equal(DEPRECATED, res.headers["warning"])
        assert.equal("2023-10-31", res.headers["elastic-api-version"])
        assert.truthy(res.headers["content-type"]:find("application/json", 1, true))
    end)

    it("creates with a given id; 409 on an existing id; overwrite=true replaces", function()
        local o = create(nil, "dashboard", "d1", { title = "one" })
        assert.equal("d1", o.id)
        local res = call("POST", "/api/saved_objects/dashboard/d1", { attributes = { title = "two" } })
        assert.equal(409, res.status)
        assert.same(err(409, "Saved object [dashboard/d1] conflict"), res.json)
        o = ok(call("POST", "/api/saved_objects/dashboard/d1?overwrite=true", { attributes = { title = "two" } }))
        assert.same({ title = "two" }, o.attributes)
    end)

    it("stores references and initialNamespaces", function()
        local refs = { { name = "ref_0", type = "index-pattern", id = "ip" } }
        local o = create(nil, "visualization", "v1", { title = "v" }, { references = refs })
        assert.same(refs, o.references)
        o = create(nil, "index-pattern", "ip", { title = "logs-*" }, { initialNamespaces = { "default", "sales" } })
        assert.same({ "default", "sales" }, o.namespaces)
        assert.equal("logs-*", ok(call("GET", "/s/sales/api/saved_objects/index-pattern/ip")).attributes.title)
        local res = call("POST", "/api/saved_objects/dashboard", { attributes = {}, initialNamespaces = { "a", "b" } })
        assert.same(err(400, '"initialNamespaces" can only specify a single space when used with space-isolated types: Bad Request'),
            res.json)
        res = call("POST", "/api/saved_objects/dashboard", { attributes = {}, initialNamespaces = json.array() })
        assert.same(err(400, "[request body.initialNamespaces]: array size is [0], but cannot be smaller than [1]"),
            res.json)
    end)

    it("400 for hidden (action) and unknown types", function()
        local res = call("POST", "/api/saved_objects/action", { attributes = { name = "c" } })
        assert.same(err(400, "Unsupported saved object type: 'action': Bad Request"), res.json)
        res = call("POST", "/api/saved_objects/wigwags/x", { attributes = {} })
        assert.same(err(400, "Unsupported saved object type: 'wigwags': Bad Request"), res.json)
    end)

    it("§7.9 strict body: unknown keys, wrong types, missing attributes", function()
        local res = call("POST", "/api/saved_objects/dashboard", { attributes = {}, namespaces = { "x" } })
        assert.same(err(400, "[request body.namespaces]: definition for this key is missing"), res.json)
        res = call("POST", "/api/saved_objects/dashboard", { attributes = {}, references = {} })
        assert.same(err(400, "[request body.references]: expected value of type [array] but got [Object]"), res.json)
        res = call("POST", "/api/saved_objects/dashboard", { title = "no attributes" })
        assert.same(err(400, "[request body.attributes]: expected value of type [object] but got [undefined]"), res.json)
        res = call("POST", "/api/saved_objects/dashboard", { attributes = json.array() })
        assert.same(err(400, "[request body.attributes]: expected value of type [object] but got [Array]"), res.json)
        res = call("POST", "/api/saved_objects/dashboard",
            { attributes = {}, references = { { name = "n", type = "t" } } })
        assert.same(err(400, "[request body.references.0.id]: expected value of type [string] but got [undefined]"),
            res.json)
        res = call("POST", "/api/saved_objects/dashboard?overwrite=maybe", { attributes = {} })
        assert.same(err(400, "[request query.overwrite]: expected value of type [boolean] but got [string]"), res.json)
        res = call("POST", "/api/saved_objects/dashboard?foo=1", { attributes = {} })
        assert.same(err(400, "[request query.foo]: definition for this key is missing"), res.json)
    end)

    it("§2.5 rows: missing kbn-xsrf, no credentials, malformed JSON", function()
        local res = call("POST", "/api/saved_objects/dashboard", { attributes = {} }, { ["kbn-xsrf"] = false })
        assert.same(err(400, "Request must contain a kbn-xsrf header."), res.json)
        res = call("POST", "/api/saved_objects/dashboard", { attributes = {} }, { authorization = false })
        assert.same(err(401, "Unauthorized"), res.json)
        res = call("POST", "/api/saved_objects/dashboard", '{"attributes":', { ["content-type"] = "application/json" })
        assert.same(err(400, "Invalid request payload JSON format"), res.json)
    end)
end)

describe("BEHAVIOUR §5.2 GET /api/saved_objects/{type}/{id}, §7.2 and §1.2 spaces", function()
    it("gets an object; 404 for unknown ids, hidden types and other spaces", function()
        local o = create("marketing", "dashboard", "d1", { title = "T" })
        local res = call("GET", "/s/marketing/api/saved_objects/dashboard/d1")
        assert.same(o, ok(res))
        assert.equal(DEPRECATED, res.headers["warning"])
        res = call("GET", "/api/saved_objects/dashboard/d1")
        assert.same(err(404, "Saved object [dashboard/d1] not found"), res.json)
        res = call("GET", "/api/saved_objects/visualization/foobar")
        assert.same(err(404, "Saved object [visualization/foobar] not found"), res.json)
        res = call("GET", "/api/saved_objects/action/c1")
        assert.same(err(404, "Saved object [action/c1] not found"), res.json)
    end)

    it("/s/default is the default space; a missing space in the URL still works (orphan namespace)", function()
        create(nil, "dashboard", "d1")
        assert.equal("d1", ok(call("GET", "/s/default/api/saved_objects/dashboard/d1")).id)
        local o = create("missing", "index-pattern", "x", { title = "x" })
        assert.same({ "missing" }, o.namespaces)
        assert.equal("x", ok(call("GET", "/s/missing/api/saved_objects/index-pattern/x")).id)
        local res = call("GET", "/s/Foo/api/saved_objects/index-pattern/x")
        assert.equal(404, res.status)
        assert.same(NOT_FOUND, res.json)
    end)

    it("a multi-namespace id already used in another space is a 409", function()
        create("a", "dashboard", "same")
        local res = call("POST", "/s/b/api/saved_objects/dashboard/same", { attributes = {} })
        assert.same(err(409, "Saved object [dashboard/same] conflict"), res.json)
        create("a", "config", "8.15.0", { buildNum = 1 })
        assert.equal("8.15.0", create("b", "config", "8.15.0", { buildNum = 2 }).id)
    end)
end)

describe("BEHAVIOUR §5.2 GET /api/saved_objects/resolve/{type}/{id}", function()
    it("answers outcome exactMatch; 404 otherwise", function()
        local o = create(nil, "visualization", "v1")
        local res = call("GET", "/api/saved_objects/resolve/visualization/v1")
        assert.same({ saved_object = o, outcome = "exactMatch" }, ok(res))
        assert.equal(DEPRECATED, res.headers["warning"])
        res = call("GET", "/api/saved_objects/resolve/visualization/foobar")
        assert.same(err(404, "Saved object [visualization/foobar] not found"), res.json)
    end)
end)

describe("BEHAVIOUR §5.2 PUT /api/saved_objects/{type}/{id} (update), §5.4, §7.4", function()
    it("merges attributes and answers only what was written", function()
        create(nil, "visualization", "v1", { title = "a", description = "keep" },
            { references = { { name = "r", type = "index-pattern", id = "ip" } } })
        local res = call("PUT", "/api/saved_objects/visualization/v1", { attributes = { title = "b" } })
        local u = ok(res)
        assert.same({ "attributes", "id", "namespaces", "type", "updated_at", "version" }, keys(u))
        assert.same({ title = "b" }, u.attributes)
        assert.same({ "default" }, u.namespaces)
        assert.equal(DEPRECATED, res.headers["warning"])
        local g = ok(call("GET", "/api/saved_objects/visualization/v1"))
        assert.same({ title = "b", description = "keep" }, g.attributes)
        assert.same({ { name = "r", type = "index-pattern", id = "ip" } }, g.references)
    end)

    it("replaces references only when sent; [] clears them and is echoed", function()
        create(nil, "visualization", "v1", {}, { references = { { name = "r", type = "t", id = "i" } } })
        local refs = { { id = "foo", name = "Foo", type = "visualization" } }
        local u = ok(call("PUT", "/api/saved_objects/visualization/v1", { attributes = { title = "foo" }, references = refs }))
        assert.same(refs, u.references)
        local res = call("PUT", "/api/saved_objects/visualization/v1",
            { attributes = { title = "foo" }, references = json.array() })
        assert.truthy(res.body:find('"references":[]', 1, true))
        assert.same({}, ok(call("GET", "/api/saved_objects/visualization/v1")).references)
    end)

    it("404 without upsert; upsert creates from the upsert attributes", function()
        local res = call("PUT", "/api/saved_objects/visualization/not%20an%20id", { attributes = { title = "x" } })
        assert.same(err(404, "Saved object [visualization/not an id] not found"), res.json)
        ok(call("PUT", "/api/saved_objects/visualization/upserted-viz", { attributes = { title = "foo" },
            upsert = { title = "upserted title", description = "upserted description" } }))
        assert.same({ title = "upserted title", description = "upserted description" },
            ok(call("GET", "/api/saved_objects/visualization/upserted-viz")).attributes)
        ok(call("PUT", "/api/saved_objects/visualization/upserted-viz", { attributes = { title = "foobar" },
            upsert = { description = "new upserted description", version = 9000 } }))
        assert.same({ title = "foobar", description = "upserted description" },
            ok(call("GET", "/api/saved_objects/visualization/upserted-viz")).attributes)
    end)

    it("version: current succeeds, stale 409, undecodable 400", function()
        local o = create(nil, "dashboard", "d1")
        local u = ok(call("PUT", "/api/saved_objects/dashboard/d1", { attributes = { a = 1 }, version = o.version }))
        assert.are_not.equal(o.version, u.version)
        local res = call("PUT", "/api/saved_objects/dashboard/d1", { attributes = { a = 2 }, version = o.version })
        assert.same(err(409, "Saved object [dashboard/d1] conflict"), res.json)
        res = call("PUT", "/api/saved_objects/dashboard/d1", { attributes = { a = 2 }, version = "foo" })
        assert.same(err(400, "Invalid version [foo]"), res.json)
    end)

    it("validates the body strictly and isolates spaces", function()
        create("marketing", "dashboard", "d1")
        local res = call("PUT", "/api/saved_objects/dashboard/d1", { attributes = {} })
        assert.same(err(404, "Saved object [dashboard/d1] not found"), res.json)
        res = call("PUT", "/s/marketing/api/saved_objects/dashboard/d1", { attributes = {}, foo = 1 })
        assert.same(err(400, "[request body.foo]: definition for this key is missing"), res.json)
        res = call("PUT", "/s/marketing/api/saved_objects/dashboard/d1", { version = "x" })
        assert.same(err(400, "[request body.attributes]: expected value of type [object] but got [undefined]"), res.json)
    end)
end)

describe("BEHAVIOUR §5.2 DELETE /api/saved_objects/{type}/{id}, §7.5", function()
    it("answers 200 {} then 404", function()
        create(nil, "dashboard", "be3733a0")
        local res = call("DELETE", "/api/saved_objects/dashboard/be3733a0")
        assert.equal(200, res.status)
        assert.equal("{}", res.body)
        assert.equal(DEPRECATED, res.headers["warning"])
        res = call("DELETE", "/api/saved_objects/dashboard/not-a-real-id")
        assert.same(err(404, "Saved object [dashboard/not-a-real-id] not found"), res.json)
    end)

    it("400 for an object shared to several spaces unless force=true", function()
        create(nil, "index-pattern", "ip", { title = "x" }, { initialNamespaces = { "default", "s2" } })
        local res = call("DELETE", "/api/saved_objects/index-pattern/ip")
        assert.same(err(400,
            "Unable to delete saved object that exists in multiple namespaces, use the `force` option to delete it anyway: Bad Request"),
            res.json)
        ok(call("DELETE", "/api/saved_objects/index-pattern/ip?force=true"))
        assert.equal(404, call("GET", "/s/s2/api/saved_objects/index-pattern/ip").status)
    end)
end)

describe("BEHAVIOUR §5.3 GET /api/saved_objects/_find", function()
    before_each(function()
        create("s", "visualization", "my-vis", { title = "my-visualization", version = 1 })
        create("s", "visualization", "star-vis", { title = "some*visualization", version = 3 })
        create("s", "visualization", "ref1", { title = "only ref 1" },
            { references = { { name = "a", type = "ref-type", id = "ref-1" } } })
        create("s", "dashboard", "dash", { title = "Requests" })
        create("other", "visualization", "elsewhere", { title = "elsewhere" })
    end)

    local function find(qs, space)
        local prefix = space and ("/s/" .. space) or "/s/s"
        return call("GET", prefix .. "/api/saved_objects/_find?" .. qs)
    end

    it("defaults page 1 / per_page 20, score 1 on each hit, deprecation warning", function()
        local res = find("type=visualization")
        local r = ok(res)
        assert.same({ "page", "per_page", "saved_objects", "total" }, keys(r))
        assert.equal(1, r.page)
        assert.equal(20, r.per_page)
        assert.equal(3, r.total)
        assert.same({ "my-vis", "star-vis", "ref1" }, ids_of(r.saved_objects))
        for _, o in ipairs(r.saved_objects) do assert.equal(1, o.score) end
        assert.equal(DEPRECATED, res.headers["warning"])
    end)

    it("type may repeat; unknown types and unknown namespaces give the empty 200", function()
        assert.equal(4, ok(find("type=visualization&type=dashboard")).total)
        local res = find("type=wigwags")
        assert.same({ page = 1, per_page = 20, total = 0, saved_objects = {} }, ok(res))
        assert.truthy(res.body:find('"saved_objects":[]', 1, true))
        assert.equal(0, ok(find("type=visualization&namespaces=foo")).total)
        assert.equal(0, ok(find("type=action")).total)
    end)

    it("search with search_fields and trailing-* prefixes", function()
        assert.same({ "my-vis" }, ids_of(ok(find("type=visualization&search_fields=title&search=my-vis*")).saved_objects))
        assert.same({ "star-vis" }, ids_of(ok(find("type=visualization&search_fields=title&search=some*vi*")).saved_objects))
        assert.same({ "my-vis", "star-vis" },
            ids_of(ok(find("type=visualization&search_fields=title&search=visuali*")).saved_objects))
        assert.same({ "dash" }, ids_of(ok(find("type=dashboard&search=req*")).saved_objects))
        assert.same({ "ref1" }, ids_of(ok(find(
            "type=visualization&search=only%20ref&default_search_operator=AND")).saved_objects))
    end)

    it("page / per_page / sort_field / fields", function()
        local r = ok(find("type=visualization&per_page=2&page=2"))
        assert.equal(3, r.total)
        assert.equal(2, r.page)
        assert.equal(2, r.per_page)
        assert.same({ "ref1" }, ids_of(r.saved_objects))
        r = ok(find("type=visualization&sort_field=title"))
        assert.same({ "my-vis", "ref1", "star-vis" }, ids_of(r.saved_objects))
        r = ok(find("type=dashboard&fields=title"))
        assert.same({ title = "Requests" }, r.saved_objects[1].attributes)
        r = ok(find("type=visualization&per_page=0"))
        assert.equal(3, r.total)
        assert.same({}, r.saved_objects)
    end)

    it("has_reference as JSON object or array, with operators", function()
        local one = json.encode({ type = "ref-type", id = "ref-1" })
        local esc = function(s) return (s:gsub("[^%w]", function(c) return string.format("%%%02X", c:byte()) end)) end
        assert.same({ "ref1" }, ids_of(ok(find("type=visualization&has_reference=" .. esc(one))).saved_objects))
        local two = json.encode({ { type = "ref-type", id = "ref-1" }, { type = "ref-type", id = "ref-2" } })
        assert.same({ "ref1" }, ids_of(ok(find("type=visualization&has_reference=" .. esc(two))).saved_objects))
        assert.same({}, ids_of(ok(find("type=visualization&has_reference_operator=AND&has_reference=" .. esc(two)))
            .saved_objects))
        assert.same({ "my-vis", "star-vis" },
            ids_of(ok(find("type=visualization&has_no_reference=" .. esc(one))).saved_objects))
        local res = find("type=visualization&has_reference=" .. esc('{"type":"x"}'))
        assert.equal(400, res.status)
        assert.truthy(res.json.message:find("^%[request query%.has_reference%]"))
    end)

    -- the spaces extension's getSearchableNamespaces: the listed spaces that exist
    -- (`*`: every existing space); without `namespaces`, the URL's space as it is
    it("namespaces searches other existing spaces (and * all of them)", function()
        ok(call("POST", "/api/spaces/space", { id = "other", name = "Other" }))
        ok(call("POST", "/api/spaces/space", { id = "s", name = "S" }))
        local r = ok(find("type=visualization&namespaces=other", "default"))
        assert.same({ "elsewhere" }, ids_of(r.saved_objects))
        assert.same({ "other" }, r.saved_objects[1].namespaces)
        assert.equal(4, ok(find("type=visualization&namespaces=*", "default")).total)
        assert.equal(1, ok(find("type=visualization&namespaces=other&namespaces=nope", "default")).total)
    end)

    it("namespaces drops spaces that do not exist: orphan objects are not found that way", function()
        -- "s" and "other" were never created: their objects live in orphan namespaces
        assert.same({ page = 1, per_page = 20, total = 0, saved_objects = {} },
            ok(find("type=visualization&namespaces=other", "default")))
        assert.equal(0, ok(find("type=visualization&namespaces=*", "default")).total)
        assert.equal(0, ok(find("type=visualization&namespaces=s")).total)
        -- without the parameter the URL's (missing) space is searched (BEHAVIOUR §1.2)
        assert.equal(3, ok(find("type=visualization")).total)
        -- the filter is still validated first; the result window is not (no search runs)
        assert.same(err(400, "This type dashboard is not allowed: Bad Request"),
            find("type=visualization&namespaces=nope&filter=dashboard.attributes.title:x").json)
        assert.equal(0, ok(find("type=visualization&namespaces=nope&per_page=1000&page=11")).total)
    end)

    it("filter: KQL on attributes; another type is a 400", function()
        local r = ok(find("type=visualization&filter=" .. "visualization.attributes.title:%22my-visualization%22"))
        assert.same({ "my-vis" }, ids_of(r.saved_objects))
        local res = find("type=visualization&filter=dashboard.attributes.title:foo")
        assert.same(err(400, "This type dashboard is not allowed: Bad Request"), res.json)
        res = find("type=dashboard&filter=dashboard.attributes.title:foo%3Cinvalid")
        assert.equal(400, res.status)
        assert.truthy(res.json.message:match("^KQLSyntaxError.*Bad Request$"))
    end)

    it("aggs: valid JSON aggregations; invalid JSON is `invalid aggs value`", function()
        local aggs = "%7B%22type_count%22%3A%7B%22max%22%3A%7B%22field%22%3A%22visualization.attributes.version%22%7D%7D%7D"
        local r = ok(find("type=visualization&per_page=0&aggs=" .. aggs))
        assert.same({ aggregations = { type_count = { value = 3 } }, page = 1, per_page = 0, saved_objects = {},
                      total = 3 }, r)
        assert.same(err(400, "invalid aggs value"), find("type=visualization&aggs=%7Bnope").json)
    end)

    it("§5.3 400s: the 10 000 result window, missing type, bad numbers, unknown params", function()
        local res = find("type=visualization&per_page=1000&page=11")
        assert.same(err(400,
            "all shards failed: search_phase_execution_exception: [illegal_argument_exception] Reason: Result window is too large, from + size must be less than or equal to: [10000] but was [11000]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting."),
            res.json)
        assert.same(err(400, "[request query.type]: expected at least one defined value but got [undefined]"),
            find("per_page=5").json)
        assert.same(err(400, "[request query.per_page]: expected value of type [number] but got [string]"),
            find("type=visualization&per_page=abc").json)
        assert.same(err(400, "[request query.page]: Value must be equal to or greater than [0]."),
            find("type=visualization&page=-1").json)
        assert.same(err(400, "[request query.sort_order]: definition for this key is missing"),
            find("type=visualization&sort_order=desc").json)
    end)

    it("POST _find is not a route (it would be a create of type _find)", function()
        local res = call("POST", "/api/saved_objects/_find", { attributes = {} })
        assert.same(err(400, "Unsupported saved object type: '_find': Bad Request"), res.json)
    end)
end)

describe("BEHAVIOUR §6 bulk routes", function()
    it("POST _bulk_create: 200 with a conflict item and a created object, in order", function()
        create("s", "visualization", "dd7caf20")
        local res = call("POST", "/s/s/api/saved_objects/_bulk_create", {
            { type = "visualization", id = "dd7caf20", attributes = { title = "An existing visualization" },
              coreMigrationVersion = "1.2.3" },
            { type = "dashboard", id = "a01b2f57", attributes = { title = "A great new dashboard" } },
        })
        local r = ok(res)
        assert.equal(DEPRECATED, res.headers["warning"])
        assert.same({ type = "visualization", id = "dd7caf20",
                      error = err(409, "Saved object [visualization/dd7caf20] conflict") }, r.saved_objects[1])
        local d = r.saved_objects[2]
        assert.equal("a01b2f57", d.id)
        assert.same({ "s" }, d.namespaces)
        assert.same({}, d.references)
        assert.is_false(d.managed)
        r = ok(call("POST", "/s/s/api/saved_objects/_bulk_create?overwrite=true",
            { { type = "visualization", id = "dd7caf20", attributes = { title = "over" } } }))
        assert.same({ title = "over" }, r.saved_objects[1].attributes)
        res = call("POST", "/api/saved_objects/_bulk_create", { { type = "dashboard" } })
        assert.same(err(400, "[request body.0.attributes]: expected value of type [object] but got [undefined]"), res.json)
        res = call("POST", "/api/saved_objects/_bulk_create", { attributes = {} })
        assert.same(err(400, "[request body]: expected value of type [array] but got [Object]"), res.json)
    end)

    it("POST _bulk_get: objects and 404 items", function()
        create(nil, "visualization", "v1", { title = "t", description = "d" })
        local r = ok(call("POST", "/api/saved_objects/_bulk_get", {
            { type = "visualization", id = "v1", fields = { "title" } },
            { type = "dashboard", id = "does not exist" },
        }))
        assert.same({ title = "t" }, r.saved_objects[1].attributes)
        assert.same({ id = "does not exist", type = "dashboard",
                      error = err(404, "Saved object [dashboard/does not exist] not found") }, r.saved_objects[2])
        local res = call("POST", "/api/saved_objects/_bulk_get", { { type = "dashboard", id = "x", extra = 1 } })
        assert.same(err(400, "[request body.0.extra]: definition for this key is missing"), res.json)
    end)

    it("POST _bulk_resolve", function()
        create(nil, "dashboard", "d1")
        local r = ok(call("POST", "/api/saved_objects/_bulk_resolve",
            { { type = "dashboard", id = "d1" }, { type = "dashboard", id = "nope" } }))
        assert.equal("exactMatch", r.resolved_objects[1].outcome)
        assert.equal("d1", r.resolved_objects[1].saved_object.id)
        assert.same({ saved_object = { type = "dashboard", id = "nope", error = err(404,
            "Saved object [dashboard/nope] not found") }, outcome = "exactMatch" }, r.resolved_objects[2])
    end)

    it("PUT _bulk_update (POST is not a route): partial objects and per-item errors", function()
        local d = create(nil, "dashboard", "be3733a0")
        local res = call("PUT", "/api/saved_objects/_bulk_update", {
            { type = "visualization", id = "not an id", attributes = { title = "An existing visualization" } },
            { type = "dashboard", id = "be3733a0", attributes = { title = "An existing dashboard" }, version = d.version },
            { type = "dashboard", id = "be3733a0", attributes = { title = "stale" }, version = d.version },
        })
        local r = ok(res)
        assert.equal(DEPRECATED, res.headers["warning"])
        assert.same({ type = "visualization", id = "not an id",
                      error = err(404, "Saved object [visualization/not an id] not found") }, r.saved_objects[1])
        assert.same({ "attributes", "id", "namespaces", "type", "updated_at", "version" }, keys(r.saved_objects[2]))
        assert.same({ title = "An existing dashboard" }, r.saved_objects[2].attributes)
        assert.same(err(409, "Saved object [dashboard/be3733a0] conflict"), r.saved_objects[3].error)
        -- POST matches POST /api/saved_objects/{type} (type "_bulk_update"), whose body must be an object
        res = call("POST", "/api/saved_objects/_bulk_update", { { type = "dashboard", id = "x", attributes = {} } })
        assert.same(err(400, "[request body]: expected a plain object value, but found [Array] instead."), res.json)
    end)

    it("POST _bulk_delete: statuses with success and errors; force", function()
        create(nil, "index-pattern", "ip")
        create(nil, "index-pattern", "shared", {}, { initialNamespaces = { "default", "x" } })
        local r = ok(call("POST", "/api/saved_objects/_bulk_delete", {
            { type = "visualization", id = "not-a-real-vis-id" },
            { type = "index-pattern", id = "ip" },
            { type = "index-pattern", id = "shared" },
        }))
        assert.same({ statuses = {
            { id = "not-a-real-vis-id", type = "visualization", success = false,
              error = err(404, "Saved object [visualization/not-a-real-vis-id] not found") },
            { id = "ip", type = "index-pattern", success = true },
            { id = "shared", type = "index-pattern", success = false, error = err(400,
              "Unable to delete saved object that exists in multiple namespaces, use the `force` option to delete it anyway: Bad Request") },
        } }, r)
        r = ok(call("POST", "/api/saved_objects/_bulk_delete?force=true", { { type = "index-pattern", id = "shared" } }))
        assert.same({ statuses = { { id = "shared", type = "index-pattern", success = true } } }, r)
    end)

    it("GET on a bulk path is an unknown route (404 Not Found)", function()
        local res = call("GET", "/api/saved_objects/_bulk_get")
        assert.equal(404, res.status)
        assert.same(NOT_FOUND, res.json)
    end)
end)

describe("BEHAVIOUR §5.2 POST /api/saved_objects/_export, §7.13", function()
    before_each(function()
        create("s", "index-pattern", "91200a00", { title = "logstash-*" })
        create("s", "visualization", "dd7caf20", { title = "Count of requests" },
            { references = { { name = "kibanaSavedObjectMeta.searchSourceJSON.index", type = "index-pattern", id = "91200a00" } } })
        create("s", "dashboard", "be3733a0", { title = "Requests" },
            { references = { { name = "1:panel_1", type = "visualization", id = "dd7caf20" } } })
    end)

    it("NDJSON in dependency order, sorted keys, headers, trailing details line, no warning", function()
        local res = call("POST", "/s/s/api/saved_objects/_export",
            { type = { "index-pattern", "search", "visualization", "dashboard" } })
        assert.equal(200, res.status)
        assert.equal("application/ndjson", res.headers["content-type"])
        assert.equal('attachment; filename="export.ndjson"', res.headers["content-disposition"])
        assert.is_nil(res.headers["warning"])
        local l = parse_ndjson(res.body)
        assert.same({ "91200a00", "dd7caf20", "be3733a0" }, { l[1].id, l[2].id, l[3].id })
        assert.is_nil(l[1].namespaces)
        assert.is_nil(l[1].migrationVersion)
        assert.equal("8.8.0", l[1].coreMigrationVersion)
        local last = res.body:match("[^\n]+$")
        assert.equal('{"excludedObjects":[],"excludedObjectsCount":0,"exportedCount":3,"missingRefCount":0,"missingReferences":[]}',
            last)
        local first = res.body:match("^[^\n]+")
        assert.truthy(first:match('^{"attributes":{"title":"logstash%-%*"},"coreMigrationVersion":"8%.8%.0","created_at":'))
    end)

    it("by objects with includeReferencesDeep; excludeExportDetails", function()
        local res = call("POST", "/s/s/api/saved_objects/_export",
            { objects = { { type = "dashboard", id = "be3733a0" } }, includeReferencesDeep = true,
              excludeExportDetails = true })
        local l = parse_ndjson(res.body)
        assert.same({ "91200a00", "dd7caf20", "be3733a0" }, ids_of(l))
        res = call("POST", "/s/s/api/saved_objects/_export", { type = "dashboard", excludeExportDetails = true })
        assert.same({ "be3733a0" }, ids_of(parse_ndjson(res.body)))
    end)

    it("the documented 400s", function()
        local function export(body) return call("POST", "/s/s/api/saved_objects/_export", body) end
        assert.same(err(400, "[request body]: expected a plain object value, but found [null] instead."),
            export(nil).json)
        assert.same(err(400, "Either `type` or `objects` are required."), export({}).json)
        assert.same(err(400, "Can't specify both \"types\" and \"objects\" properties when exporting"),
            export({ type = "dashboard", objects = { { type = "dashboard", id = "be3733a0" } } }).json)
        assert.same(err(400, "Trying to export non-exportable type(s): wigwags"), export({ type = { "wigwags" } }).json)
        assert.same(err(400, "Trying to export object(s) with non-exportable types: wigwags:1"),
            export({ objects = { { type = "wigwags", id = "1" } } }).json)
        assert.same(err(400, "Error fetching objects to export", { objects = { { id = "1", type = "dashboard",
            error = err(404, "Saved object [dashboard/1] not found") } } }),
            export({ objects = { { type = "dashboard", id = "1" } } }).json)
        assert.same(err(400, "[request body.foo]: definition for this key is missing"),
            export({ type = "dashboard", foo = 1 }).json)
    end)
end)

describe("BEHAVIOUR §5.2 POST /api/saved_objects/_import", function()
    local FILE = {
        { type = "index-pattern", id = "91200a00", attributes = { title = "logstash-*" }, references = json.array() },
        { type = "visualization", id = "dd7caf20", attributes = { title = "Count of requests" },
          references = { { name = "r", type = "index-pattern", id = "91200a00" } } },
    }

    it("imports new objects: success, successResults with meta, warnings []", function()
        local res = upload("/s/s/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } })
        local r = ok(res)
        assert.is_nil(res.headers["warning"])
        assert.equal("2023-10-31", res.headers["elastic-api-version"])
        assert.same({ success = true, successCount = 2, warnings = {}, successResults = {
            { type = "index-pattern", id = "91200a00", meta = { title = "logstash-*", icon = "indexPatternApp" }, managed = false },
            { type = "visualization", id = "dd7caf20", meta = { title = "Count of requests", icon = "visualizeApp" }, managed = false },
        } }, r)
        assert.truthy(res.body:find('"warnings":[]', 1, true))
        assert.equal("91200a00", ok(call("GET", "/s/s/api/saved_objects/visualization/dd7caf20")).references[1].id)
    end)

    it("conflicts without overwrite; overwrite=true; createNewCopies=true", function()
        upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } })
        local r = ok(upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } }))
        assert.same({ success = false, successCount = 0, warnings = {}, errors = {
            { type = "index-pattern", id = "91200a00", meta = { title = "logstash-*", icon = "indexPatternApp" },
              error = { type = "conflict" } },
            { type = "visualization", id = "dd7caf20", meta = { title = "Count of requests", icon = "visualizeApp" },
              error = { type = "conflict" } },
        } }, r)
        r = ok(upload("/api/saved_objects/_import?overwrite=true",
            { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } }))
        assert.is_true(r.success)
        assert.is_true(r.successResults[1].overwrite)
        r = ok(upload("/api/saved_objects/_import?createNewCopies=true",
            { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } }))
        assert.is_true(r.success)
        assert.equal(36, #r.successResults[1].destinationId)
        local vis = ok(call("GET", "/api/saved_objects/visualization/" .. r.successResults[2].destinationId))
        assert.equal(r.successResults[1].destinationId, vis.references[1].id)
    end)

    it("per-object errors: unsupported_type and missing_references", function()
        local r = ok(upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson",
            data = '{"id":"1","type":"wigwags","attributes":{"title":"my title"},"references":[]}' } }))
        assert.same({ success = false, successCount = 0, warnings = {}, errors = {
            { id = "1", type = "wigwags", meta = { title = "my title" }, error = { type = "unsupported_type" } } } }, r)
        r = ok(upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = json.encode({
            type = "visualization", id = "1", attributes = { title = "My visualization" },
            references = { { name = "ref_0", type = "index-pattern", id = "non-existing" },
                           { name = "ref_1", type = "search", id = "non-existing-search" } } }) } }))
        assert.same({ success = false, successCount = 0, warnings = {}, errors = { {
            type = "visualization", id = "1", meta = { title = "My visualization", icon = "visualizeApp" },
            error = { type = "missing_references", references = {
                { type = "index-pattern", id = "non-existing" }, { type = "search", id = "non-existing-search" } } } } } }, r)
    end)

    it("whole-request errors: 415, wrong extension, missing file, option combinations, bad lines", function()
        local res = call("POST", "/api/saved_objects/_import", nil)
        assert.same(err(415, "Unsupported Media Type"), res.json)
        res = upload("/api/saved_objects/_import", { { name = "file", filename = "export.json", data = "{}" } })
        assert.same(err(400, "Invalid file extension .json"), res.json)
        res = upload("/api/saved_objects/_import", { { name = "other", data = "x" } })
        assert.same(err(400, "[request body.other]: definition for this key is missing"), res.json)
        res = upload("/api/saved_objects/_import", {})
        assert.same(err(400, "[request body.file]: expected value of type [Stream] but got [undefined]"), res.json)
        local file = { { name = "file", filename = "export.ndjson", data = ndjson_of(FILE) } }
        res = upload("/api/saved_objects/_import?overwrite=true&createNewCopies=true", file)
        assert.same(err(400, "[request query]: cannot use [overwrite] with [createNewCopies]"), res.json)
        res = upload("/api/saved_objects/_import?createNewCopies=true&compatibilityMode=true", file)
        assert.same(err(400, "[request query]: cannot use [createNewCopies] with [compatibilityMode]"), res.json)
        res = upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson",
            data = '{"type":"dashboard","id":"x","attributes":{}}\n{"type":"dashboard","id":"x","attributes":{}}' } })
        assert.same(err(400, "Non-unique import objects detected: [dashboard:x]"), res.json)
        res = upload("/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = "not json" } })
        assert.equal(400, res.status)
        assert.equal("Bad Request", res.json.error)
    end)
end)

describe("BEHAVIOUR §5.2 POST /api/saved_objects/_resolve_import_errors", function()
    local FILE = '{"type":"visualization","id":"dd7caf20","attributes":{"title":"Count of requests"},"references":[]}'

    it("skips everything without retries; overwrites per retry; replaces references", function()
        upload("/s/s/api/saved_objects/_import", { { name = "file", filename = "export.ndjson", data = FILE } })
        local r = ok(upload("/s/s/api/saved_objects/_resolve_import_errors", {
            { name = "file", filename = "export.ndjson", data = FILE }, { name = "retries", data = "[]" } }))
        assert.same({ success = true, successCount = 0, warnings = {} }, r)
        r = ok(upload("/s/s/api/saved_objects/_resolve_import_errors", {
            { name = "file", filename = "export.ndjson", data = FILE },
            { name = "retries", data = '[{"type":"visualization","id":"dd7caf20","overwrite":true}]' } }))
        assert.same({ success = true, successCount = 1, warnings = {}, successResults = { { type = "visualization",
            id = "dd7caf20", meta = { title = "Count of requests", icon = "visualizeApp" }, overwrite = true,
            managed = false } } }, r)
        create("s", "index-pattern", "91200a00", { title = "logstash-*" })
        r = ok(upload("/s/s/api/saved_objects/_resolve_import_errors", {
            { name = "file", filename = "export.ndjson", data = json.encode({ id = "1", type = "visualization",
                attributes = { title = "My favorite vis" }, references = { { name = "ref_0", type = "index-pattern", id = "2" } } }) },
            { name = "retries", data = json.encode({ { type = "visualization", id = "1", replaceReferences = {
                { type = "index-pattern", from = "2", to = "91200a00" } } } }) } }))
        assert.is_true(r.success)
        assert.same({ { name = "ref_0", type = "index-pattern", id = "91200a00" } },
            ok(call("GET", "/s/s/api/saved_objects/visualization/1")).references)
    end)

    it("validates retries", function()
        local res = upload("/api/saved_objects/_resolve_import_errors",
            { { name = "file", filename = "export.ndjson", data = FILE } })
        assert.same(err(400, "[request body.retries]: expected value of type [array] but got [undefined]"), res.json)
        res = upload("/api/saved_objects/_resolve_import_errors", {
            { name = "file", filename = "export.ndjson", data = FILE }, { name = "retries", data = '[{"type":"x"}]' } })
        assert.same(err(400, "[request body.retries.0.id]: expected value of type [string] but got [undefined]"), res.json)
    end)
end)

describe("BEHAVIOUR §3.1/§6 copy to spaces through the spaces routes (emu.objects hooks)", function()
    it("copies with new ids, reports per space, 404 for missing sources", function()
        create(nil, "index-pattern", "ip", { title = "logs-*" })
        create(nil, "visualization", "vis", { title = "V" }, { references = { { name = "r", type = "index-pattern", id = "ip" } } })
        local r = ok(call("POST", "/api/spaces/_copy_saved_objects",
            { spaces = { "a" }, objects = { { type = "visualization", id = "vis" } }, includeReferences = true }))
        assert.is_true(r.a.success)
        assert.equal(2, r.a.successCount)
        assert.same({ "ip", "vis" }, ids_of(r.a.successResults))
        local copied = ok(call("GET", "/s/a/api/saved_objects/visualization/" .. r.a.successResults[2].destinationId))
        assert.equal(r.a.successResults[1].destinationId, copied.references[1].id)
        local res = call("POST", "/api/spaces/_copy_saved_objects",
            { spaces = { "a" }, objects = { { type = "dashboard", id = "nope" } } })
        assert.same(err(404, "Saved objects not found", { objects = { { id = "nope", type = "dashboard" } } }), res.json)
    end)

    it("resolves copy conflicts with per-space retries", function()
        create(nil, "dashboard", "d", { title = "D" })
        local first = ok(call("POST", "/api/spaces/_copy_saved_objects",
            { spaces = { "a" }, objects = { { type = "dashboard", id = "d" } }, createNewCopies = false }))
        local dest = first.a.successResults[1].destinationId
        local again = ok(call("POST", "/api/spaces/_copy_saved_objects",
            { spaces = { "a" }, objects = { { type = "dashboard", id = "d" } }, createNewCopies = false }))
        assert.same({ type = "conflict", destinationId = dest }, again.a.errors[1].error)
        local r = ok(call("POST", "/api/spaces/_resolve_copy_saved_objects_errors", {
            objects = { { type = "dashboard", id = "d" } }, createNewCopies = false,
            retries = { a = { { type = "dashboard", id = "d", overwrite = true, destinationId = dest } } } }))
        assert.is_true(r.a.success)
        assert.is_true(r.a.successResults[1].overwrite)
        assert.equal(dest, r.a.successResults[1].destinationId)
    end)
end)
