-- Unit specs of the emulator's saved-object repository (emu.objects, emu.objects_find,
-- emu.objects_transfer, emu.ndjson, emu.multipart). Plain Lua: no nginx, no HTTP.
-- Run with package.path including ./emulator/lua/?.lua.

local objects = require "emu.objects"
local find = require "emu.objects_find"
local transfer = require "emu.objects_transfer"
local ndjson = require "emu.ndjson"
local multipart = require "emu.multipart"
local json = require "emu.json"

local T0 = 1700000000123 -- 2023-11-14T22:13:20.123Z
local now
local ids

local function setup()
    objects.reset()
    now = T0
    objects.set_clock(function() return now end)
    ids = 0
    objects.set_id_generator(function()
        ids = ids + 1
        return string.format("00000000-0000-4000-8000-%012d", ids)
    end)
end

local function id(n) return string.format("00000000-0000-4000-8000-%012d", n) end

local function mk(space, t, oid, attrs, opts)
    opts = opts or {}
    opts.id = oid
    local o, err = objects.create(space, t, attrs or { title = oid }, opts)
    assert.is_nil(err)
    return o
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

describe("BEHAVIOUR §5.1 saved object in responses", function()
    before_each(setup)

    it("has exactly the documented fields, UUID v4 id, ISO dates with ms and base64 [seq,1] version", function()
        local o = objects.create("default", "visualization", { title = "My favorite vis" }, {})
        assert.same({ "attributes", "coreMigrationVersion", "created_at", "id", "managed", "migrationVersion",
                      "namespaces", "references", "type", "typeMigrationVersion", "updated_at", "version" },
                    keys(o))
        assert.equal(id(1), o.id)
        assert.equal("visualization", o.type)
        assert.same({ "default" }, o.namespaces)
        assert.equal("2023-11-14T22:13:20.123Z", o.updated_at)
        assert.equal("2023-11-14T22:13:20.123Z", o.created_at)
        assert.equal("WzEsMV0=", o.version)
        assert.equal("[1,1]", objects.b64_decode(o.version))
        assert.same({ title = "My favorite vis" }, o.attributes)
        assert.equal("8.8.0", o.coreMigrationVersion)
        assert.equal("8.5.0", o.typeMigrationVersion)
        assert.same({ visualization = "8.5.0" }, o.migrationVersion)
        assert.is_false(o.managed)
    end)

    it("encodes empty references and namespaces as JSON arrays", function()
        local o = objects.create("marketing", "dashboard", { title = "d" }, {})
        local text = json.encode(o)
        assert.truthy(text:find('"references":[]', 1, true))
        assert.truthy(text:find('"namespaces":["marketing"]', 1, true))
    end)

    it("generates random UUID v4 ids by default", function()
        objects.set_id_generator(nil)
        local a = objects.create("default", "dashboard", {}, {})
        local b = objects.create("default", "dashboard", {}, {})
        assert.truthy(a.id:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"))
        assert.are_not.equal(a.id, b.id)
    end)

    it("versions come from one global sequence", function()
        local a = objects.create("default", "dashboard", {}, {})
        local b = objects.create("s1", "config", {}, { id = "8.15.0" })
        assert.equal("WzEsMV0=", a.version)
        assert.equal("WzIsMV0=", b.version)
        local u = objects.update("default", "dashboard", a.id, { title = "x" }, {})
        assert.equal("WzMsMV0=", u.version)
    end)

    it("type registry: action is hidden, the others importable; index-pattern is shareable", function()
        assert.is_false(objects.is_allowed("action"))
        assert.is_false(objects.is_allowed("wigwags"))
        assert.same({ "config", "dashboard", "index-pattern", "lens", "map", "query", "search", "tag",
                      "visualization" }, objects.exportable_types())
        assert.is_true(objects.is_shareable("index-pattern"))
        assert.is_false(objects.is_shareable("dashboard"))
        assert.is_true(objects.is_multi("dashboard"))
        assert.is_false(objects.is_multi("config"))
    end)

    it("base64 round-trips and rejects garbage", function()
        for _, s in ipairs({ "", "a", "ab", "abc", "[13,1]", "\0\255\128" }) do
            assert.equal(s, objects.b64_decode(objects.b64_encode(s)))
        end
        assert.equal("WzEzLDFd", objects.b64_encode("[13,1]"))
        assert.is_nil(objects.b64_decode("abc"))
        assert.is_nil(objects.b64_decode("a=bc"))
        assert.is_nil(objects.decode_version("WzEsMV0"))
        assert.equal(13, (objects.decode_version("WzEzLDFd")))
    end)
end)

describe("BEHAVIOUR §5.2 create (POST /api/saved_objects/{type}[/{id}])", function()
    before_each(setup)

    it("stores references and returns them", function()
        local refs = { { name = "ref_0", type = "index-pattern", id = "ip" } }
        local o = objects.create("default", "visualization", { title = "v" }, { id = "v1", references = refs })
        assert.same(refs, o.references)
        assert.same(refs, objects.get("default", "visualization", "v1").references)
    end)

    it("409 `Saved object [type/id] conflict` for an existing id, overwrite replaces it", function()
        mk("default", "dashboard", "d1", { title = "one", extra = 1 })
        local o, err = objects.create("default", "dashboard", { title = "two" }, { id = "d1" })
        assert.is_nil(o)
        assert.same({ statusCode = 409, error = "Conflict", message = "Saved object [dashboard/d1] conflict" }, err)
        o = objects.create("default", "dashboard", { title = "two" }, { id = "d1", overwrite = true })
        assert.same({ title = "two" }, o.attributes)
    end)

    it("400 `Unsupported saved object type: '<type>': Bad Request` for hidden and unknown types", function()
        local _, err = objects.create("default", "action", { name = "c" }, {})
        assert.same({ statusCode = 400, error = "Bad Request",
                      message = "Unsupported saved object type: 'action': Bad Request" }, err)
        _, err = objects.create("default", "wigwags", {}, {})
        assert.equal("Unsupported saved object type: 'wigwags': Bad Request", err.message)
    end)

    it("single-namespace types may reuse an id in another space", function()
        mk("default", "config", "8.15.0", { buildNum = 1 })
        local o = mk("marketing", "config", "8.15.0", { buildNum = 2 })
        assert.same({ "marketing" }, o.namespaces)
        assert.equal(1, objects.get("default", "config", "8.15.0").attributes.buildNum)
    end)

    it("multi-namespace types: an id living in another space is a 409 even with overwrite", function()
        mk("default", "dashboard", "d1")
        local _, err = objects.create("marketing", "dashboard", {}, { id = "d1" })
        assert.equal(409, err.statusCode)
        _, err = objects.create("marketing", "dashboard", {}, { id = "d1", overwrite = true })
        assert.equal("Saved object [dashboard/d1] conflict", err.message)
    end)

    it("initialNamespaces: one space for isolated types, several for shareable ones", function()
        local o = objects.create("default", "dashboard", {}, { id = "d", initialNamespaces = { "sales" } })
        assert.same({ "sales" }, o.namespaces)
        assert.is_nil(objects.get("default", "dashboard", "d"))
        local _, err = objects.create("default", "dashboard", {}, { initialNamespaces = { "a", "b" } })
        assert.same({ statusCode = 400, error = "Bad Request", message =
            '"initialNamespaces" can only specify a single space when used with space-isolated types: Bad Request' },
            err)
        _, err = objects.create("default", "config", {}, { initialNamespaces = { "*" } })
        assert.equal(400, err.statusCode)
        o = objects.create("default", "index-pattern", { title = "logs-*" }, { id = "ip", initialNamespaces = { "a", "b" } })
        assert.same({ "a", "b" }, o.namespaces)
        assert.is_not_nil(objects.get("b", "index-pattern", "ip"))
        _, err = objects.create("default", "index-pattern", {}, { initialNamespaces = {} })
        assert.equal('"initialNamespaces" must be a non-empty array of strings: Bad Request', err.message)
    end)

    it("copies the attributes (later changes of the request table do not leak in)", function()
        local attrs = { title = "t", nested = { a = 1 } }
        objects.create("default", "dashboard", attrs, { id = "d" })
        attrs.nested.a = 2
        assert.equal(1, objects.get("default", "dashboard", "d").attributes.nested.a)
    end)
end)

describe("BEHAVIOUR §5.2 get and resolve, §7.2 space isolation", function()
    before_each(setup)

    it("get returns the object; 404 in another space and for unknown/hidden types", function()
        mk("marketing", "dashboard", "d1", { title = "T" })
        assert.equal("T", objects.get("marketing", "dashboard", "d1").attributes.title)
        local _, err = objects.get("default", "dashboard", "d1")
        assert.same({ statusCode = 404, error = "Not Found", message = "Saved object [dashboard/d1] not found" }, err)
        _, err = objects.get("default", "action", "x")
        assert.equal("Saved object [action/x] not found", err.message)
    end)

    it("resolve answers outcome exactMatch, 404 otherwise", function()
        mk("default", "visualization", "v1")
        local r = objects.resolve("default", "visualization", "v1")
        assert.equal("exactMatch", r.outcome)
        assert.equal("v1", r.saved_object.id)
        assert.is_nil(r.alias_target_id)
        local _, err = objects.resolve("default", "visualization", "foobar")
        assert.equal("Saved object [visualization/foobar] not found", err.message)
    end)

    it("resolve follows legacy URL aliases (aliasMatch / conflict)", function()
        mk("default", "dashboard", "new-id")
        objects.add_alias("default", "dashboard", "old-id", "new-id")
        local r = objects.resolve("default", "dashboard", "old-id")
        assert.equal("aliasMatch", r.outcome)
        assert.equal("new-id", r.alias_target_id)
        assert.equal("savedObjectImport", r.alias_purpose)
        mk("default", "dashboard", "old-id")
        r = objects.resolve("default", "dashboard", "old-id")
        assert.equal("conflict", r.outcome)
        assert.equal("old-id", r.saved_object.id)
    end)
end)

describe("BEHAVIOUR §5.2 update, §5.4 concurrency, §7.4 partial merge", function()
    before_each(setup)

    it("merges attributes and returns only what was written", function()
        mk("default", "visualization", "v1", { title = "a", description = "keep" },
            { references = { { name = "r", type = "index-pattern", id = "ip" } } })
        now = T0 + 1000
        local u = objects.update("default", "visualization", "v1", { title = "b" }, {})
        assert.same({ "attributes", "id", "namespaces", "type", "updated_at", "version" }, keys(u))
        assert.same({ title = "b" }, u.attributes)
        assert.equal("2023-11-14T22:13:21.123Z", u.updated_at)
        local g = objects.get("default", "visualization", "v1")
        assert.same({ title = "b", description = "keep" }, g.attributes)
        assert.equal("2023-11-14T22:13:20.123Z", g.created_at)
        assert.same({ { name = "r", type = "index-pattern", id = "ip" } }, g.references)
    end)

    it("replaces references only when sent (an empty list clears them)", function()
        mk("default", "visualization", "v1", {}, { references = { { name = "r", type = "t", id = "i" } } })
        local u = objects.update("default", "visualization", "v1", {}, { references = json.array() })
        assert.same({}, u.references)
        assert.equal('"references":[]', json.encode(u):match('"references":%[%]'))
        assert.same({}, objects.get("default", "visualization", "v1").references)
    end)

    it("404 without upsert; upsert creates with the upsert attributes only", function()
        local _, err = objects.update("default", "visualization", "not an id", { title = "x" }, {})
        assert.equal("Saved object [visualization/not an id] not found", err.message)
        local u = objects.update("default", "visualization", "upserted-viz", { title = "foo" },
            { upsert = { title = "upserted title", description = "upserted description" } })
        assert.equal("upserted-viz", u.id)
        assert.same({ title = "upserted title", description = "upserted description" },
                    objects.get("default", "visualization", "upserted-viz").attributes)
        objects.update("default", "visualization", "upserted-viz", { title = "foobar" },
            { upsert = { description = "new upserted description" } })
        assert.same({ title = "foobar", description = "upserted description" },
                    objects.get("default", "visualization", "upserted-viz").attributes)
    end)

    it("a stale version is a 409, a garbage one a 400 `Invalid version [x]`", function()
        local o = mk("default", "dashboard", "d1")
        local u = objects.update("default", "dashboard", "d1", { a = 1 }, { version = o.version })
        assert.is_not_nil(u)
        local _, err = objects.update("default", "dashboard", "d1", { a = 2 }, { version = o.version })
        assert.same({ statusCode = 409, error = "Conflict", message = "Saved object [dashboard/d1] conflict" }, err)
        _, err = objects.update("default", "dashboard", "d1", { a = 2 }, { version = "x" })
        assert.same({ statusCode = 400, error = "Bad Request", message = "Invalid version [x]" }, err)
        assert.is_not_nil(objects.update("default", "dashboard", "d1", { a = 3 }, { version = u.version }))
    end)

    it("cannot update an object of another space", function()
        mk("marketing", "dashboard", "d1")
        local _, err = objects.update("default", "dashboard", "d1", { a = 1 }, {})
        assert.equal(404, err.statusCode)
    end)
end)

describe("BEHAVIOUR §5.2 delete", function()
    before_each(setup)

    it("deletes, then 404", function()
        mk("default", "dashboard", "d1")
        assert.is_true(objects.delete("default", "dashboard", "d1"))
        local _, err = objects.delete("default", "dashboard", "d1")
        assert.equal("Saved object [dashboard/d1] not found", err.message)
    end)

    it("400 for an object in several spaces unless force", function()
        mk("default", "index-pattern", "ip", { title = "x" }, { initialNamespaces = { "default", "s2" } })
        local ok, err = objects.delete("default", "index-pattern", "ip")
        assert.is_nil(ok)
        assert.same({ statusCode = 400, error = "Bad Request", message =
            "Unable to delete saved object that exists in multiple namespaces, use the `force` option to delete it anyway: Bad Request" },
            err)
        assert.is_true(objects.delete("default", "index-pattern", "ip", true))
        assert.is_nil(objects.get("s2", "index-pattern", "ip"))
    end)
end)

describe("BEHAVIOUR §6 bulk semantics", function()
    before_each(setup)

    it("_bulk_create keeps order; a conflict item carries the Boom payload", function()
        mk("s", "visualization", "v1")
        local res = objects.bulk_create("s", {
            { type = "visualization", id = "v1", attributes = { title = "An existing visualization" } },
            { type = "dashboard", id = "d1", attributes = { title = "A great new dashboard" } },
            { type = "wigwags", id = "w", attributes = {} },
        }, false)
        assert.same({ type = "visualization", id = "v1", error = { statusCode = 409, error = "Conflict",
                      message = "Saved object [visualization/v1] conflict" } }, res[1])
        assert.equal("d1", res[2].id)
        assert.same({ "s" }, res[2].namespaces)
        assert.equal("Unsupported saved object type: 'wigwags': Bad Request", res[3].error.message)
    end)

    it("_bulk_create with overwrite replaces", function()
        mk("default", "visualization", "v1")
        local res = objects.bulk_create("default", { { type = "visualization", id = "v1", attributes = { x = 1 } } }, true)
        assert.same({ x = 1 }, res[1].attributes)
    end)

    it("_bulk_get: objects and 404 items, fields limit attributes, namespaces lookup", function()
        mk("default", "visualization", "v1", { title = "t", description = "d" })
        mk("other", "index-pattern", "ip", { title = "logs" })
        local res = objects.bulk_get("default", {
            { type = "visualization", id = "v1", fields = { "title" } },
            { type = "dashboard", id = "does not exist" },
            { type = "index-pattern", id = "ip", namespaces = { "other" } },
            { type = "dashboard", id = "x", namespaces = { "a", "b" } },
            { type = "wigwags", id = "w" },
        })
        assert.same({ title = "t" }, res[1].attributes)
        assert.same({ id = "does not exist", type = "dashboard", error = { statusCode = 404, error = "Not Found",
                      message = "Saved object [dashboard/does not exist] not found" } }, res[2])
        assert.equal("logs", res[3].attributes.title)
        assert.equal(
            '"namespaces" can only specify a single space when used with space-isolated types: Bad Request',
            res[4].error.message)
        assert.equal("Unsupported saved object type: 'wigwags': Bad Request", res[5].error.message)
    end)

    it("_bulk_resolve wraps errors as saved_object with exactMatch", function()
        mk("default", "dashboard", "d1")
        local res = objects.bulk_resolve("default", { { type = "dashboard", id = "d1" }, { type = "dashboard", id = "x" } })
        assert.equal("exactMatch", res[1].outcome)
        assert.equal("d1", res[1].saved_object.id)
        assert.same({ saved_object = { type = "dashboard", id = "x", error = { statusCode = 404,
                      error = "Not Found", message = "Saved object [dashboard/x] not found" } },
                      outcome = "exactMatch" }, res[2])
    end)

    it("_bulk_update: partial objects, 404 items, per-item version conflicts, namespace", function()
        local d = mk("default", "dashboard", "d1")
        mk("other", "dashboard", "d2")
        local res = objects.bulk_update("default", {
            { type = "visualization", id = "not an id", attributes = { title = "x" } },
            { type = "dashboard", id = "d1", attributes = { title = "An existing dashboard" }, version = d.version },
            { type = "dashboard", id = "d1", attributes = { title = "again" }, version = d.version },
            { type = "dashboard", id = "d2", attributes = { title = "there" }, namespace = "other" },
        })
        assert.same({ type = "visualization", id = "not an id", error = { statusCode = 404, error = "Not Found",
                      message = "Saved object [visualization/not an id] not found" } }, res[1])
        assert.same({ "attributes", "id", "namespaces", "type", "updated_at", "version" }, keys(res[2]))
        assert.equal(409, res[3].error.statusCode)
        assert.equal("Saved object [dashboard/d1] conflict", res[3].error.message)
        assert.same({ "other" }, res[4].namespaces)
    end)

    it("_bulk_delete statuses", function()
        mk("default", "index-pattern", "ip")
        mk("default", "index-pattern", "shared", {}, { initialNamespaces = { "default", "x" } })
        local res = objects.bulk_delete("default", {
            { type = "visualization", id = "not-a-real-vis-id" },
            { type = "index-pattern", id = "ip" },
            { type = "index-pattern", id = "shared" },
        })
        assert.same({ id = "not-a-real-vis-id", type = "visualization", success = false, error = {
            statusCode = 404, error = "Not Found", message = "Saved object [visualization/not-a-real-vis-id] not found" } },
            res[1])
        assert.same({ id = "ip", type = "index-pattern", success = true }, res[2])
        assert.is_false(res[3].success)
        assert.equal(400, res[3].error.statusCode)
        res = objects.bulk_delete("default", { { type = "index-pattern", id = "shared" } }, true)
        assert.is_true(res[1].success)
    end)
end)

describe("BEHAVIOUR §5.3 _find", function()
    before_each(function()
        setup()
        mk("s", "visualization", "my-vis", { title = "my-visualization", version = 1 })
        mk("s", "visualization", "star-vis", { title = "some*visualization", version = 3 })
        mk("s", "visualization", "ref1", { title = "only ref 1" }, { references = { { name = "a", type = "ref-type", id = "ref-1" } } })
        mk("s", "visualization", "ref12", { title = "both refs" }, { references = {
            { name = "a", type = "ref-type", id = "ref-1" }, { name = "b", type = "ref-type", id = "ref-2" } } })
        mk("s", "dashboard", "dash", { title = "Requests" })
        mk("other", "visualization", "elsewhere", { title = "my-visualization" })
    end)

    local function q(t)
        t.page = t.page or 1
        t.per_page = t.per_page or 20
        return t
    end

    it("filters by type and space; every hit has score 1", function()
        local r = find.find("s", q({ types = { "visualization" } }))
        assert.equal(4, r.total)
        assert.same({ "my-vis", "star-vis", "ref1", "ref12" }, ids_of(r.saved_objects))
        assert.equal(1, r.saved_objects[1].score)
        r = find.find("s", q({ types = { "visualization", "dashboard" } }))
        assert.equal(5, r.total)
    end)

    it("unknown or hidden types give an empty 200 body", function()
        local r = find.find("s", q({ types = { "wigwags" } }))
        assert.same({ page = 1, per_page = 20, total = 0, saved_objects = {} }, r)
        assert.equal('{"page":1,"per_page":20,"saved_objects":[],"total":0}', ndjson.stringify(r))
        assert.equal(0, find.find("s", q({ types = { "action" } })).total)
    end)

    it("search: prefix terms, dashes, asterisks, AND/OR and negation", function()
        local function titles(search, extra)
            local t = q({ types = { "visualization" }, search = search, search_fields = { "title" } })
            for k, v in pairs(extra or {}) do t[k] = v end
            local out = {}
            for i, o in ipairs(find.find("s", t).saved_objects) do out[i] = o.attributes.title end
            return out
        end
        assert.same({ "my-visualization" }, titles("my-vis*"))
        assert.same({ "my-visualization" }, titles("my-*"))
        assert.same({ "some*visualization" }, titles("some*vi*"))
        assert.same({ "my-visualization", "some*visualization" }, titles("visuali*"))
        assert.same({}, titles("visuali"))
        assert.same({ "only ref 1", "both refs" }, titles("ref* only"))
        assert.same({ "only ref 1" }, titles("ref* only", { default_search_operator = "AND" }))
        assert.same({ "only ref 1" }, titles("ref only")) -- "ref" is not "refs": no stemming
        assert.same({ "both refs" }, titles("refs -only"))
        assert.same({ "my-visualization", "some*visualization", "only ref 1", "both refs" }, titles("*"))
        assert.same({ "both refs" }, titles('"both refs"'))
    end)

    it("search without search_fields uses the type's default search field", function()
        local r = find.find("s", q({ types = { "dashboard" }, search = "req*" }))
        assert.same({ "dash" }, ids_of(r.saved_objects))
    end)

    it("has_reference / has_no_reference with OR and AND", function()
        local r1 = { type = "ref-type", id = "ref-1" }
        local r2 = { type = "ref-type", id = "ref-2" }
        local function hits(t) return ids_of(find.find("s", q(t)).saved_objects) end
        assert.same({ "ref1", "ref12" }, hits({ types = { "visualization" }, has_reference = { r1 } }))
        assert.same({ "ref1", "ref12" }, hits({ types = { "visualization" }, has_reference = { r1, r2 } }))
        assert.same({ "ref12" }, hits({ types = { "visualization" }, has_reference = { r1, r2 },
                                        has_reference_operator = "AND" }))
        assert.same({ "my-vis", "star-vis" }, hits({ types = { "visualization" }, has_no_reference = { r1 } }))
        assert.same({ "ref1" }, hits({ types = { "visualization" }, has_reference = { r1 }, has_no_reference = { r2 } }))
        assert.same({}, hits({ types = { "visualization" }, has_reference = { r1 }, has_no_reference = { r1 } }))
    end)

    it("pages with page/per_page; total counts all hits", function()
        local r = find.find("s", q({ types = { "visualization" }, page = 2, per_page = 3 }))
        assert.equal(4, r.total)
        assert.equal(2, r.page)
        assert.equal(3, r.per_page)
        assert.same({ "ref12" }, ids_of(r.saved_objects))
        r = find.find("s", q({ types = { "visualization" }, per_page = 0 }))
        assert.equal(4, r.total)
        assert.same({}, r.saved_objects)
    end)

    it("the 10 000 result window gives the ES 400", function()
        local r, err = find.find("s", q({ types = { "visualization" }, page = 11, per_page = 1000 }))
        assert.is_nil(r)
        assert.same({ statusCode = 400, error = "Bad Request", message =
            "all shards failed: search_phase_execution_exception: [illegal_argument_exception] Reason: Result window is too large, from + size must be less than or equal to: [10000] but was [11000]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting." },
            err)
        assert.is_not_nil(find.find("s", q({ types = { "visualization" }, page = 10, per_page = 1000 })))
    end)

    it("sort_field sorts ascending by a root field or an attribute", function()
        local r = find.find("s", q({ types = { "visualization" }, sort_field = "title" }))
        assert.same({ "both refs", "my-visualization", "only ref 1", "some*visualization" },
            (function() local t = {} for i, o in ipairs(r.saved_objects) do t[i] = o.attributes.title end return t end)())
        now = T0 - 1000
        objects.update("s", "visualization", "ref12", { x = 1 }, {})
        r = find.find("s", q({ types = { "visualization" }, sort_field = "updated_at" }))
        assert.equal("ref12", r.saved_objects[1].id)
    end)

    it("fields limits the attributes", function()
        local r = find.find("s", q({ types = { "dashboard" }, fields = { "title" } }))
        assert.same({ title = "Requests" }, r.saved_objects[1].attributes)
        r = find.find("s", q({ types = { "dashboard" }, fields = { "nothing" } }))
        assert.same({}, r.saved_objects[1].attributes)
    end)

    it("namespaces searches other spaces; * all of them; unknown ones find nothing", function()
        local r = find.find("default", q({ types = { "visualization" }, namespaces = { "other" } }))
        assert.same({ "elsewhere" }, ids_of(r.saved_objects))
        assert.same({ "other" }, r.saved_objects[1].namespaces)
        r = find.find("default", q({ types = { "visualization" }, namespaces = { "*" } }))
        assert.equal(5, r.total)
        r = find.find("s", q({ types = { "visualization" }, namespaces = { "foo" } }))
        assert.equal(0, r.total)
    end)

    it("filter: KQL subset; other types 400; syntax errors 400", function()
        local r = find.find("s", q({ types = { "visualization" },
            filter = 'visualization.attributes.title:"my-visualization"' }))
        assert.same({ "my-vis" }, ids_of(r.saved_objects))
        r = find.find("s", q({ types = { "visualization" },
            filter = "visualization.attributes.version > 2 or visualization.attributes.title:both" }))
        assert.same({ "star-vis", "ref12" }, ids_of(r.saved_objects))
        r = find.find("s", q({ types = { "visualization", "dashboard" },
            filter = "not visualization.attributes.title:(my or some or only or both)" }))
        assert.same({ "dash" }, ids_of(r.saved_objects))
        local _, err = find.find("s", q({ types = { "visualization" }, filter = "dashboard.attributes.title:foo" }))
        assert.same({ statusCode = 400, error = "Bad Request",
                      message = "This type dashboard is not allowed: Bad Request" }, err)
        _, err = find.find("s", q({ types = { "dashboard" }, filter = "dashboard.attributes.title:foo<invalid" }))
        assert.equal(400, err.statusCode)
        assert.truthy(err.message:match("^KQLSyntaxError.*Bad Request$"))
    end)

    it("aggs: metric and terms aggregations; invalid ones are 400", function()
        local r = find.find("s", q({ types = { "visualization" }, per_page = 0,
            aggs = { type_count = { max = { field = "visualization.attributes.version" } } } }))
        assert.same({ type_count = { value = 3 } }, r.aggregations)
        local _, err = find.find("s", q({ types = { "visualization" },
            aggs = { type_count = { max = { field = "dashboard.attributes.version" } } } }))
        assert.equal("Invalid aggregation: [type_count.max.field] Invalid attribute path: dashboard.attributes.version: Bad Request",
            err.message)
        _, err = find.find("s", q({ types = { "visualization" },
            aggs = { type_count = { max = { field = "visualization.attributes.version", script = "x" } } } }))
        assert.equal("Invalid aggregation: [type_count.max.script]: definition for this key is missing: Bad Request",
            err.message)
    end)
end)

describe("BEHAVIOUR §5.2 _export, §7.13 NDJSON", function()
    before_each(function()
        setup()
        mk("s", "index-pattern", "91200a00", { title = "logstash-*" })
        mk("s", "visualization", "dd7caf20", { title = "Count of requests" },
            { references = { { name = "kibanaSavedObjectMeta.searchSourceJSON.index", type = "index-pattern", id = "91200a00" } } })
        mk("s", "dashboard", "be3733a0", { title = "Requests" },
            { references = { { name = "1:panel_1", type = "visualization", id = "dd7caf20" } } })
        mk("s", "config", "7.0.0-alpha1", { buildNum = 8467 })
    end)

    local function lines(text)
        local out = {}
        for line in (text .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = json.decode(line) end
        return out
    end

    it("exports by type in dependency order with a trailing details line", function()
        local text = transfer.export("s", { types = { "index-pattern", "search", "visualization", "dashboard" } })
        local l = lines(text)
        assert.equal(4, #l)
        assert.same({ "91200a00", "dd7caf20", "be3733a0" }, { l[1].id, l[2].id, l[3].id })
        assert.same({ excludedObjects = {}, excludedObjectsCount = 0, exportedCount = 3, missingRefCount = 0,
                      missingReferences = {} }, l[4])
        assert.truthy(text:find('{"excludedObjects":[],"excludedObjectsCount":0,"exportedCount":3,"missingRefCount":0,"missingReferences":[]}', 1, true))
    end)

    it("exports all types with *; objects have sorted keys and no namespaces/migrationVersion", function()
        local text = transfer.export("s", { types = { "*" }, excludeExportDetails = true })
        local l = lines(text)
        assert.same({ "7.0.0-alpha1", "91200a00", "dd7caf20", "be3733a0" }, ids_of(l))
        local first = text:match("^[^\n]+")
        assert.equal('{"attributes":{"buildNum":8467},"coreMigrationVersion":"8.8.0","created_at":"2023-11-14T22:13:20.123Z",'
            .. '"id":"7.0.0-alpha1","managed":false,"references":[],"type":"config","typeMigrationVersion":"8.9.0",'
            .. '"updated_at":"2023-11-14T22:13:20.123Z","version":"WzQsMV0="}', first)
    end)

    it("exports objects with includeReferencesDeep; missing references are counted", function()
        mk("s", "dashboard", "broken", { title = "b" }, { references = { { name = "p", type = "visualization", id = "gone" } } })
        local l = lines(transfer.export("s", { objects = { { type = "dashboard", id = "be3733a0" },
                                                            { type = "dashboard", id = "broken" } },
                                               includeReferencesDeep = true }))
        assert.same({ "91200a00", "dd7caf20", "be3733a0", "broken" }, { l[1].id, l[2].id, l[3].id, l[4].id })
        assert.equal(4, l[5].exportedCount)
        assert.equal(1, l[5].missingRefCount)
        assert.same({ { id = "gone", type = "visualization" } }, l[5].missingReferences)
    end)

    it("a missing object is a 400 with attributes.objects", function()
        local text, err = transfer.export("s", { objects = { { type = "dashboard", id = "1" } } })
        assert.is_nil(text)
        assert.same({ statusCode = 400, error = "Bad Request", message = "Error fetching objects to export",
                      attributes = { objects = { { id = "1", type = "dashboard", error = { statusCode = 404,
                      error = "Not Found", message = "Saved object [dashboard/1] not found" } } } } }, err)
    end)

    it("search and hasReference narrow a by-type export", function()
        local l = lines(transfer.export("s", { types = { "dashboard", "visualization" }, search = "Count*",
                                               excludeExportDetails = true }))
        assert.same({ "dd7caf20" }, ids_of(l))
        l = lines(transfer.export("s", { types = { "visualization" },
            hasReference = { { type = "index-pattern", id = "91200a00" } }, excludeExportDetails = true }))
        assert.same({ "dd7caf20" }, ids_of(l))
    end)

    it("circular references do not loop", function()
        mk("s", "dashboard", "a", {}, { references = { { name = "c", type = "dashboard", id = "b" } } })
        mk("s", "dashboard", "b", {}, { references = { { name = "c", type = "dashboard", id = "a" } } })
        local l = lines(transfer.export("s", { types = { "dashboard" }, includeReferencesDeep = true,
                                               excludeExportDetails = true }))
        local seen = {}
        for _, o in ipairs(l) do seen[o.id] = true end
        assert.is_true(seen.a and seen.b)
    end)

    it("stringify: sorted keys, JS escapes, integers, arrays", function()
        assert.equal('{"a":[1,2.5,"x\\n\\"y\\""],"b":{"c":true,"d":null},"e":[]}',
            ndjson.stringify({ e = json.array(), b = { d = json.null, c = true }, a = { 1, 2.5, 'x\n"y"' } }))
        assert.equal('"a/b\\u0001"', ndjson.stringify("a/b\1"))
        assert.equal("0.1", ndjson.stringify(0.1))
        assert.equal("12345678901234", ndjson.stringify(12345678901234))
    end)

    it("parse_lines skips blank lines and reports bad JSON", function()
        local l = ndjson.parse_lines('{"a":1}\r\n\n  \n{"b":[]}\n')
        assert.equal(2, #l)
        assert.equal(1, l[1].a)
        local v, err = ndjson.parse_lines('{"a":1}\nnot json')
        assert.is_nil(v)
        assert.equal("Unexpected token 'n', \"not json\" is not valid JSON", err)
    end)
end)

describe("BEHAVIOUR §5.2 _import (importer semantics), §6 per-object errors", function()
    before_each(function()
        setup()
        mk("default", "index-pattern", "91200a00", { title = "logstash-*" })
        mk("default", "visualization", "dd7caf20", { title = "Count of requests" })
        mk("default", "dashboard", "be3733a0", { title = "Requests" })
    end)

    local FILE = {
        { type = "index-pattern", id = "91200a00", attributes = { title = "logstash-*" }, references = {} },
        { type = "visualization", id = "dd7caf20", attributes = { title = "Count of requests" },
          references = { { name = "r", type = "index-pattern", id = "91200a00" } } },
        { type = "dashboard", id = "be3733a0", attributes = { title = "Requests" },
          references = { { name = "p", type = "visualization", id = "dd7caf20" } } },
    }

    it("reports conflicts and writes nothing", function()
        local r = transfer.import("default", objects.copy(FILE), {})
        assert.same({
            success = false, successCount = 0, warnings = {},
            errors = {
                { id = "91200a00", type = "index-pattern", meta = { title = "logstash-*", icon = "indexPatternApp" },
                  error = { type = "conflict" } },
                { id = "dd7caf20", type = "visualization", meta = { title = "Count of requests", icon = "visualizeApp" },
                  error = { type = "conflict" } },
                { id = "be3733a0", type = "dashboard", meta = { title = "Requests", icon = "dashboardApp" },
                  error = { type = "conflict" } },
            },
        }, r)
        assert.equal('"warnings":[]', json.encode(r):match('"warnings":%[%]'))
    end)

    it("overwrite replaces and flags overwrite: true", function()
        local file = objects.copy(FILE)
        file[3].attributes.title = "New title"
        local r = transfer.import("default", file, { overwrite = true })
        assert.is_true(r.success)
        assert.equal(3, r.successCount)
        assert.same({ type = "dashboard", id = "be3733a0", meta = { title = "New title", icon = "dashboardApp" },
                      overwrite = true, managed = false }, r.successResults[3])
        assert.equal("New title", objects.get("default", "dashboard", "be3733a0").attributes.title)
    end)

    it("unsupported types are errors; the other objects are still imported", function()
        local r = transfer.import("default", {
            { id = "1", type = "wigwags", attributes = { title = "my title" }, references = {} },
            { id = "n1", type = "dashboard", attributes = { title = "fresh" }, references = {} },
        }, {})
        assert.is_false(r.success)
        assert.equal(1, r.successCount)
        assert.same({ { id = "1", type = "wigwags", meta = { title = "my title" }, error = { type = "unsupported_type" } } },
                    r.errors)
        assert.is_not_nil(objects.get("default", "dashboard", "n1"))
    end)

    it("missing index-pattern/search references block the whole import", function()
        local r = transfer.import("default", {
            { type = "visualization", id = "1", attributes = { title = "My visualization" }, references = {
                { name = "ref_0", type = "index-pattern", id = "non-existing" },
                { name = "ref_1", type = "search", id = "non-existing-search" },
                { name = "ref_2", type = "dashboard", id = "not-validated" } } },
            { type = "dashboard", id = "ok", attributes = { title = "fine" }, references = {} },
        }, {})
        assert.same({ { type = "visualization", id = "1", meta = { title = "My visualization", icon = "visualizeApp" },
                        error = { type = "missing_references", references = {
                            { type = "index-pattern", id = "non-existing" },
                            { type = "search", id = "non-existing-search" } } } } }, r.errors)
        assert.equal(1, r.successCount) -- reported, but not written while resolvable errors remain
        assert.is_nil(objects.get("default", "dashboard", "ok"))
    end)

    it("createNewCopies regenerates every id and remaps references", function()
        local r = transfer.import("default", objects.copy(FILE), { createNewCopies = true })
        assert.is_true(r.success)
        assert.equal(id(1), r.successResults[1].destinationId)
        local vis = objects.get("default", "visualization", r.successResults[2].destinationId)
        assert.equal(id(1), vis.references[1].id)
        assert.is_nil(vis.originId)
    end)

    it("a multi-namespace object living in another space gets a new id and originId", function()
        local r = transfer.import("marketing", objects.copy(FILE), {})
        assert.is_true(r.success)
        for i, res in ipairs(r.successResults) do
            assert.equal(id(i), res.destinationId)
            assert.is_nil(res.createNewCopy)
        end
        local dash = objects.get("marketing", "dashboard", id(3))
        assert.equal("be3733a0", dash.originId)
        assert.equal(id(2), dash.references[1].id)
    end)

    it("a second import into that space is an origin conflict (conflict with destinationId)", function()
        transfer.import("marketing", objects.copy(FILE), {})
        local r = transfer.import("marketing", { objects.copy(FILE[1]) }, {})
        assert.same({ { id = "91200a00", type = "index-pattern", meta = { title = "logstash-*", icon = "indexPatternApp" },
                        error = { type = "conflict", destinationId = id(1) } } }, r.errors)
        r = transfer.import("marketing", { objects.copy(FILE[1]) }, { overwrite = true })
        assert.is_true(r.success)
        assert.equal(id(1), r.successResults[1].destinationId)
        assert.is_true(r.successResults[1].overwrite)
    end)

    it("compatibilityMode creates legacy URL aliases for regenerated ids", function()
        transfer.import("marketing", { objects.copy(FILE[1]) }, { compatibilityMode = true })
        local res = objects.resolve("marketing", "index-pattern", "91200a00")
        assert.equal("aliasMatch", res.outcome)
        assert.equal(id(1), res.alias_target_id)
    end)

    it("whole-request errors: too many objects, duplicates", function()
        local many = {}
        for i = 1, objects.MAX_IMPORT_EXPORT_SIZE + 1 do many[i] = { type = "dashboard", id = tostring(i), attributes = {} } end
        local r, err = transfer.import("default", many, {})
        assert.is_nil(r)
        assert.same({ statusCode = 400, error = "Bad Request", message = "Can't import more than 10000 objects" }, err)
        _, err = transfer.import("default", { { type = "dashboard", id = "x", attributes = {} },
                                              { type = "dashboard", id = "x", attributes = {} } }, {})
        assert.equal("Non-unique import objects detected: [dashboard:x]", err.message)
    end)

    it("keeps `managed` from the file and config titles via getTitle", function()
        local r = transfer.import("default", { { type = "config", id = "1234", attributes = {}, references = {},
                                                 managed = true } }, {})
        assert.same({ { id = "1234", type = "config", meta = { title = "Advanced Settings [1234]" }, managed = true } },
                    r.successResults)
        assert.is_true(objects.get("default", "config", "1234").managed)
    end)

    it("ignores the export-details line", function()
        local r = transfer.import("other", { { exportedCount = 0, missingRefCount = 0 } }, {})
        assert.same({ success = true, successCount = 0, warnings = {} }, r)
    end)
end)

describe("BEHAVIOUR §5.2 _resolve_import_errors", function()
    before_each(function()
        setup()
        mk("s", "visualization", "dd7caf20", { title = "Count of requests" })
        mk("s", "index-pattern", "91200a00", { title = "logstash-*" })
    end)

    it("no retries: nothing imported", function()
        local r = transfer.resolve_import_errors("s", { { type = "visualization", id = "dd7caf20", attributes = {} } }, {})
        assert.same({ success = true, successCount = 0, warnings = {} }, r)
    end)

    it("overwrite per retry", function()
        local r = transfer.resolve_import_errors("s",
            { { type = "visualization", id = "dd7caf20", attributes = { title = "Count of requests" } },
              { type = "index-pattern", id = "91200a00", attributes = { title = "logstash-*" } } },
            { { type = "visualization", id = "dd7caf20", overwrite = true, replaceReferences = {} } })
        assert.same({ success = true, successCount = 1, warnings = {}, successResults = {
            { type = "visualization", id = "dd7caf20", meta = { title = "Count of requests", icon = "visualizeApp" },
              overwrite = true, managed = false } } }, r)
    end)

    it("replaceReferences rewrites references before the checks", function()
        local r = transfer.resolve_import_errors("s",
            { { type = "visualization", id = "1", attributes = { title = "My favorite vis" },
                references = { { name = "ref_0", type = "index-pattern", id = "2" } } } },
            { { type = "visualization", id = "1", replaceReferences = {
                { type = "index-pattern", from = "2", to = "91200a00" } } } })
        assert.is_true(r.success)
        assert.same({ { name = "ref_0", type = "index-pattern", id = "91200a00" } },
                    objects.get("s", "visualization", "1").references)
    end)

    it("ignoreMissingReferences, destinationId and duplicate retries", function()
        local r = transfer.resolve_import_errors("s",
            { { type = "visualization", id = "v9", attributes = {},
                references = { { name = "x", type = "index-pattern", id = "nope" } } } },
            { { type = "visualization", id = "v9", ignoreMissingReferences = true, destinationId = "v10",
                replaceReferences = {} } })
        assert.is_true(r.success)
        assert.equal("v10", r.successResults[1].destinationId)
        assert.is_not_nil(objects.get("s", "visualization", "v10"))
        local _, err = transfer.resolve_import_errors("s", {}, {
            { type = "a", id = "1" }, { type = "a", id = "1" } })
        assert.equal("Non-unique retry objects: [a:1]", err.message)
    end)
end)

describe("BEHAVIOUR §3.1/§6 copy_to_spaces (for POST /api/spaces/_copy_saved_objects)", function()
    before_each(function()
        setup()
        mk("default", "index-pattern", "ip", { title = "logs-*" })
        mk("default", "visualization", "vis", { title = "V" }, { references = { { name = "r", type = "index-pattern", id = "ip" } } })
        mk("default", "dashboard", "dash", { title = "D" }, { references = { { name = "p", type = "visualization", id = "vis" } } })
    end)

    it("createNewCopies (default): new ids with destinationId per space", function()
        local r = objects.copy_to_spaces("default", { { type = "dashboard", id = "dash" } }, { "a", "b" },
            { includeReferences = true })
        assert.same({ "a", "b" }, keys(r))
        assert.is_true(r.a.success)
        assert.equal(3, r.a.successCount)
        assert.is_nil(r.a.errors)
        assert.same({ "ip", "vis", "dash" }, ids_of(r.a.successResults))
        assert.equal(id(1), r.a.successResults[1].destinationId)
        assert.equal(id(4), r.b.successResults[1].destinationId)
        local copied = objects.get("a", "dashboard", r.a.successResults[3].destinationId)
        assert.equal(r.a.successResults[2].destinationId, copied.references[1].id)
    end)

    it("without includeReferences a missing index-pattern reference is reported", function()
        local r = objects.copy_to_spaces("default", { { type = "visualization", id = "vis" } }, { "a" }, {})
        assert.is_false(r.a.success)
        assert.equal("missing_references", r.a.errors[1].error.type)
    end)

    it("createNewCopies=false: regenerated ids first, then conflicts, overwrite resolves them", function()
        local r = objects.copy_to_spaces("default", { { type = "dashboard", id = "dash" } }, { "a" },
            { createNewCopies = false })
        assert.is_true(r.a.success)
        assert.equal(id(1), r.a.successResults[1].destinationId)
        r = objects.copy_to_spaces("default", { { type = "dashboard", id = "dash" } }, { "a" }, { createNewCopies = false })
        assert.same({ type = "conflict", destinationId = id(1) }, r.a.errors[1].error)
        r = objects.copy_to_spaces("default", { { type = "dashboard", id = "dash" } }, { "a" },
            { createNewCopies = false, overwrite = true })
        assert.is_true(r.a.success)
        assert.is_true(r.a.successResults[1].overwrite)
    end)

    it("createNewCopies=false skips objects already shared into the destination", function()
        objects.create("default", "index-pattern", { title = "shared" }, { id = "sh", initialNamespaces = { "default", "a" } })
        local r = objects.copy_to_spaces("default", { { type = "index-pattern", id = "sh" } }, { "a" },
            { createNewCopies = false })
        assert.same({ success = true, successCount = 0 }, r.a)
    end)

    it("missing source objects: nil, 404, message, attributes", function()
        local r, status, message, attrs = objects.copy_to_spaces("default",
            { { type = "dashboard", id = "dash" }, { type = "dashboard", id = "nope" }, { type = "wigwags", id = "w" } },
            { "a" }, {})
        assert.is_nil(r)
        assert.equal(404, status)
        assert.equal("Saved objects not found", message)
        assert.same({ objects = { { id = "nope", type = "dashboard" }, { id = "w", type = "wigwags" } } }, attrs)
    end)
end)

describe("BEHAVIOUR §3.1 resolve_copy_errors (for POST /api/spaces/_resolve_copy_saved_objects_errors)", function()
    before_each(function()
        setup()
        mk("default", "dashboard", "dash", { title = "D" })
    end)

    it("retries per space: overwrite an earlier copy, skip objects without a retry", function()
        local first = objects.copy_to_spaces("default", { { type = "dashboard", id = "dash" } }, { "a" },
            { createNewCopies = false })
        local dest = first.a.successResults[1].destinationId
        local r = objects.resolve_copy_errors("default", { { type = "dashboard", id = "dash" } },
            { a = { { type = "dashboard", id = "dash", overwrite = true, destinationId = dest } }, b = {} },
            { createNewCopies = false })
        assert.same({ "a", "b" }, keys(r))
        assert.is_true(r.a.success)
        assert.equal(1, r.a.successCount)
        assert.same({ type = "dashboard", id = "dash", meta = { title = "D", icon = "dashboardApp" },
                      managed = false, overwrite = true, destinationId = dest }, r.a.successResults[1])
        assert.same({ success = true, successCount = 0 }, r.b)
    end)

    it("duplicate retries fail that space only; missing sources are a 404", function()
        local r = objects.resolve_copy_errors("default", { { type = "dashboard", id = "dash" } },
            { a = { { type = "dashboard", id = "dash" }, { type = "dashboard", id = "dash" } } }, {})
        assert.same({ success = false, successCount = 0, errors = { { statusCode = 400, error = "Bad Request",
                      message = "Non-unique retry objects: [dashboard:dash]" } } }, r.a)
        local _, status, message = objects.resolve_copy_errors("default", { { type = "dashboard", id = "x" } },
            { a = {} }, {})
        assert.equal(404, status)
        assert.equal("Saved objects not found", message)
    end)
end)

describe("BEHAVIOUR §3.1 update_objects_spaces / get_shareable_references / aliases (spaces hooks)", function()
    before_each(function()
        setup()
        mk("default", "index-pattern", "ip", { title = "logs-*" })
        mk("default", "dashboard", "dash", { title = "D" }, { references = { { name = "r", type = "index-pattern", id = "ip" } } })
    end)

    it("adds and removes spaces of shareable objects; errors per object", function()
        local r = objects.update_objects_spaces("default", {
            { type = "index-pattern", id = "ip" }, { type = "dashboard", id = "dash" },
            { type = "index-pattern", id = "nope" }, { type = "action", id = "c" },
        }, { "a", "b" }, {})
        assert.same({ id = "ip", type = "index-pattern", spaces = { "default", "a", "b" } }, r.objects[1])
        assert.same({ id = "dash", type = "dashboard", spaces = {}, error = { statusCode = 400,
            error = "Bad Request", message = "dashboard doesn't support multiple namespaces: Bad Request" } }, r.objects[2])
        assert.equal("Saved object [index-pattern/nope] not found", r.objects[3].error.message)
        assert.equal("Saved object [action/c] not found", r.objects[4].error.message)
        assert.equal("logs-*", objects.get("b", "index-pattern", "ip").attributes.title)
        r = objects.update_objects_spaces("default", { { type = "index-pattern", id = "ip" } }, {}, { "default", "a", "b" })
        assert.same({}, r.objects[1].spaces)
        assert.is_nil(objects.get("a", "index-pattern", "ip"))
    end)

    it("rejects empty and overlapping space lists", function()
        local _, err = objects.update_objects_spaces("default", {}, {}, {})
        assert.equal("spacesToAdd and/or spacesToRemove must be a non-empty array of strings: Bad Request", err.message)
        _, err = objects.update_objects_spaces("default", {}, { "a" }, { "a" })
        assert.equal("spacesToAdd and spacesToRemove cannot contain any of the same strings: Bad Request", err.message)
    end)

    it("collects shareable references with inbound references and origins", function()
        mk("default", "index-pattern", "ipA", { title = "x" }, { references = {
            { name = "base", type = "index-pattern", id = "ip" }, { name = "d", type = "dashboard", id = "dash" } } })
        transfer.import("other", { { type = "index-pattern", id = "ip", attributes = { title = "copy" } } }, {})
        local r = objects.get_shareable_references("default", {
            { type = "index-pattern", id = "ipA" }, { type = "index-pattern", id = "missing" },
            { type = "dashboard", id = "dash" } })
        assert.equal(4, #r.objects)
        assert.same({ type = "index-pattern", id = "ipA", spaces = { "default" }, inboundReferences = {},
                      spacesWithMatchingOrigins = { "default" } }, r.objects[1])
        assert.same({ type = "index-pattern", id = "missing", spaces = {}, inboundReferences = {}, isMissing = true },
                    r.objects[2])
        assert.same({ type = "dashboard", id = "dash", spaces = {}, inboundReferences = {} }, r.objects[3])
        -- reached through ipA; the imported copy in "other" has originId "ip"
        assert.same({ type = "index-pattern", id = "ip", spaces = { "default" },
                      inboundReferences = { { type = "index-pattern", id = "ipA", name = "base" } },
                      spacesWithMatchingOrigins = { "default", "other" } }, r.objects[4])
    end)

    it("disabled legacy URL aliases no longer resolve", function()
        objects.add_alias("default", "dashboard", "old", "dash")
        assert.equal("aliasMatch", objects.resolve("default", "dashboard", "old").outcome)
        assert.is_true(objects.disable_legacy_url_aliases({ { targetSpace = "default", targetType = "dashboard",
                                                             sourceId = "old" } }))
        local _, err = objects.resolve("default", "dashboard", "old")
        assert.equal(404, err.statusCode)
    end)
end)

describe("BEHAVIOUR §3.4 delete_namespace and count_references (framework hooks)", function()
    before_each(setup)

    it("deletes single- and multi-namespace objects of the space; shared ones lose the space", function()
        mk("gone", "config", "c")
        mk("gone", "dashboard", "d")
        mk("keep", "dashboard", "k")
        objects.create("gone", "index-pattern", {}, { id = "shared", initialNamespaces = { "gone", "keep" } })
        objects.delete_namespace("gone")
        assert.is_nil(objects.get("gone", "config", "c"))
        assert.is_nil(objects.get("gone", "dashboard", "d"))
        assert.is_nil(objects.get("gone", "index-pattern", "shared"))
        assert.same({ "keep" }, objects.get("keep", "index-pattern", "shared").namespaces)
        assert.is_not_nil(objects.get("keep", "dashboard", "k"))
        -- the id is free again
        assert.is_not_nil(objects.create("other", "dashboard", {}, { id = "d" }))
    end)

    -- referenced_by_count: Kibana aggregates over match_all of the Kibana index (actions
    -- plugin, get_all injectExtraFindData), so objects of every space count, once each
    it("counts objects of every space referencing type/id, each once", function()
        mk("s", "dashboard", "a", {}, { references = { { name = "x", type = "action", id = "c1" },
                                                      { name = "y", type = "action", id = "c1" } } })
        mk("s", "dashboard", "b", {}, { references = { { name = "x", type = "action", id = "c1" } } })
        mk("t", "dashboard", "c", {}, { references = { { name = "x", type = "action", id = "c1" } } })
        mk("t", "config", "d", {}, { references = { { name = "x", type = "tag", id = "c1" },
                                                   { name = "z", type = "action", id = "c3" } } })
        assert.equal(3, objects.count_references("s", "action", "c1"))
        assert.equal(0, objects.count_references("s", "action", "c2"))
        assert.same({ c1 = 3, c3 = 1 }, objects.reference_counts("action"))
        assert.same({ c1 = 1 }, objects.reference_counts("tag"))
        assert.same({}, objects.reference_counts("nothing"))
    end)

    it("reference_counts follows every change of the records (its cache is keyed on revision())", function()
        local ref = function(id) return { { name = "x", type = "action", id = id } } end
        mk("s", "dashboard", "a", {}, { references = ref("c1") })
        assert.same({ c1 = 1 }, objects.reference_counts("action"))
        local r0 = objects.revision()
        objects.update("s", "dashboard", "a", { title = "t" }, {})          -- references untouched
        assert.equal(r0, objects.revision())
        objects.update("s", "dashboard", "a", {}, { references = ref("c2") })
        assert.same({ c2 = 1 }, objects.reference_counts("action"))
        objects.create("s", "dashboard", {}, { id = "a", overwrite = true, references = ref("c3") })
        assert.same({ c3 = 1 }, objects.reference_counts("action"))
        mk("t", "config", "b", {}, { references = ref("c3") })
        assert.same({ c3 = 2 }, objects.reference_counts("action"))
        objects.delete("t", "config", "b")
        assert.same({ c3 = 1 }, objects.reference_counts("action"))
        objects.delete_namespace("s")
        assert.same({}, objects.reference_counts("action"))
        mk("s", "dashboard", "z", {}, { references = ref("c9") })
        objects.reset()
        assert.same({}, objects.reference_counts("action"))
    end)

    it("reset forgets everything", function()
        mk("s", "dashboard", "a")
        objects.reset()
        assert.is_nil(objects.get("s", "dashboard", "a"))
        assert.equal("WzEsMV0=", objects.create("s", "dashboard", {}, {}).version)
    end)
end)

describe("BEHAVIOUR §5.2 multipart/form-data for _import", function()
    it("finds the boundary and the file part", function()
        local b = multipart.boundary('multipart/form-data; boundary="XyZ"')
        assert.equal("XyZ", b)
        assert.equal("abc", multipart.boundary("multipart/form-data; charset=utf-8; boundary=abc"))
        assert.is_nil(multipart.boundary("application/json"))
        local body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.ndjson\"\r\n"
            .. "Content-Type: application/ndjson\r\n\r\n{\"a\":1}\n{\"b\":2}\r\n--XyZ\r\n"
            .. "Content-Disposition: form-data; name=\"retries\"\r\n\r\n[]\r\n--XyZ--\r\n"
        local parts = multipart.parse(body, "XyZ")
        assert.equal(2, #parts)
        assert.equal("file", parts[1].name)
        assert.equal("export.ndjson", parts[1].filename)
        assert.equal("application/ndjson", parts[1].content_type)
        assert.equal('{"a":1}\n{"b":2}', parts[1].data)
        assert.equal("[]", multipart.field(parts, "retries").data)
        assert.is_nil(multipart.field(parts, "nothing"))
    end)

    it("extname like Node's path.extname", function()
        assert.equal(".ndjson", multipart.extname("export.ndjson"))
        assert.equal(".json", multipart.extname("dir/x.JSON"))
        assert.equal("", multipart.extname("noext"))
        assert.equal("", multipart.extname(".ndjson"))
        assert.equal("", multipart.extname(nil))
    end)
end)
