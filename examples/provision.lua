-- examples/provision.lua - provision one Kibana space per tenant, with a
-- connector, a visualization and a dashboard in each, then show that tenants
-- are isolated and that a typo in a space id is caught before anything is
-- written. Run against any Kibana (or the emulator: `make demo`):
--   KIBANA_URL=http://localhost:5601 KIBANA_API_KEY=... lua5.4 examples/provision.lua
local kibana = require "kibana"
local errors = kibana.errors

local client = kibana.new() -- KIBANA_URL and KIBANA_API_KEY (or USERNAME/PASSWORD)

local tenants = {
    { id = "acme", name = "ACME Corp", color = "#1EA593" },
    { id = "globex", name = "Globex", color = "#6092C0" },
}

local status = client:status()
print(("Connected to Kibana %s (%s)"):format(status.version.number, status.status.overall.level))
print()

local provisioned = {}
for _, tenant in ipairs(tenants) do
    -- 1. the space; an existing one is fine (re-running the script is safe)
    local ok, err = pcall(client.spaces.create, client.spaces, {
        id = tenant.id, name = tenant.name, color = tenant.color,
        description = "Dedicated space for " .. tenant.name,
        disabledFeatures = kibana.array {},
    })
    local space_note = "created"
    if not ok then
        if not errors.is(err, errors.ConflictError) then error(err, 0) end
        space_note = "already there"
    end

    -- 2. everything else through a client scoped to the tenant's space
    local t = client:space(tenant.id)
    local connector = t.actions:create {
        name = tenant.name .. " audit log",
        connector_type_id = ".index",
        config = { index = "audit-" .. tenant.id },
    }
    local vis = t.saved_objects:create {
        type = "visualization",
        attributes = { title = tenant.name .. " requests", visState = "{}" },
    }
    local dashboard = t.saved_objects:create {
        type = "dashboard",
        attributes = { title = tenant.name .. " overview" },
        references = { { name = "panel_0", type = "visualization", id = vis.id } },
    }
    local run = t.actions:execute {
        id = connector.id,
        params = { documents = { { event = "provisioned", tenant = tenant.id } } },
    }
    provisioned[#provisioned + 1] = {
        tenant = tenant, space_note = space_note, connector = connector,
        visualization = vis, dashboard = dashboard, run = run,
    }
end

print("Provisioned:")
for _, p in ipairs(provisioned) do
    print(("  space %-8s (%s)"):format(p.tenant.id, p.space_note))
    print(("    connector     %s  %q -> index %s, test run: %s"):format(
        p.connector.id, p.connector.name, p.connector.config.index, p.run.status))
    print(("    visualization %s  %q"):format(p.visualization.id, p.visualization.attributes.title))
    print(("    dashboard     %s  %q (%d reference)"):format(
        p.dashboard.id, p.dashboard.attributes.title, #p.dashboard.references))
end
print()

-- 3. isolation: ACME's dashboard is invisible from Globex's space
local acme_dash = provisioned[1].dashboard.id
local ok, iso_err = pcall(client.saved_objects.get, client.saved_objects,
    { type = "dashboard", id = acme_dash, space_id = "globex" })
print("Isolation check (ACME dashboard read from globex):")
print("  " .. (ok and "VISIBLE - isolation broken!" or tostring(iso_err)))

-- 4. a typo in a space id stops before anything is written
local err
ok, err = pcall(client.actions.create, client.actions, {
    name = "lost connector", connector_type_id = ".index",
    config = { index = "nowhere" }, space_id = "acmee",
})
print("Typo check (create a connector in space 'acmee'):")
print("  " .. (ok and "WRITTEN into a space that does not exist!" or tostring(err)))
-- Kibana itself would have accepted that write; look into the orphan namespace
-- without validation to prove nothing landed there.
local orphan = 0
for _, c in ipairs(client:space("acmee", { validate = false }).actions:get_all()) do
    if not c.is_preconfigured then orphan = orphan + 1 end
end
print(("  connectors in the orphan namespace 'acmee': %d"):format(orphan))
print()

local spaces = client.spaces:get_all()
local ids = {}
for i, s in ipairs(spaces) do ids[i] = s.id end
local stats = client:space_cache().stats()
print(("Spaces now: %s"):format(table.concat(ids, ", ")))
print(("Space validation cache: lookups %d, hits %d, misses %d"):format(
    stats.lookups, stats.hits, stats.misses))
