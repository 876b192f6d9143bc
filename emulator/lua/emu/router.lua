-- emu/router.lua: matches decoded path segments against route tables.
--
-- A route is { method = "GET", path = { "api", "spaces", { param = "id" } }, handler = fn, ... }.
-- A path element `{ param = "id", optional = true }` may only be last; the route
-- then also matches without it. Literal segments win over parameters at every
-- position (with backtracking), as in hapi. Parameters never match "".

local type, ipairs, pairs, setmetatable, error, concat =
      type, ipairs, pairs, setmetatable, error, table.concat

local _M = {}
local mt = { __index = _M }

local function new_node() return { lit = {}, param = nil, pname = nil, routes = nil } end

function _M.new()
  return setmetatable({ root = new_node(), list = {} }, mt)
end

-- template(route) -> "/api/spaces/space/{id}" (for messages)
function _M.template(route)
  local parts = {}
  for i, p in ipairs(route.path) do
    if type(p) == "table" then
      parts[i] = "{" .. p.param .. (p.optional and "?" or "") .. "}"
    else
      parts[i] = p
    end
  end
  return "/" .. concat(parts, "/")
end

local function insert(self, route, path, upto)
  local node = self.root
  for i = 1, upto do
    local p = path[i]
    if type(p) == "table" then
      if not node.param then
        node.param = new_node()
        node.pname = p.param
      elseif node.pname ~= p.param then
        -- same position, another name: keep one node per name
        node.param_alt = node.param_alt or {}
        local alt = node.param_alt[p.param]
        if not alt then
          alt = new_node(); alt.pname = p.param
          node.param_alt[p.param] = alt
        end
      end
      if node.pname == p.param then node = node.param else node = node.param_alt[p.param] end
    else
      local child = node.lit[p]
      if not child then
        child = new_node()
        node.lit[p] = child
      end
      node = child
    end
  end
  node.routes = node.routes or {}
  local m = route.method
  if node.routes[m] then error("duplicate route " .. m .. " " .. _M.template(route)) end
  node.routes[m] = route
end

function _M:add(route)
  route.template = route.template or _M.template(route)
  local path = route.path
  local n = #path
  local last = path[n]
  insert(self, route, path, n)
  if type(last) == "table" and last.optional then insert(self, route, path, n - 1) end
  self.list[#self.list + 1] = route
end

function _M:add_all(routes)
  for _, r in ipairs(routes) do self:add(r) end
end

-- walk(node, segs, i, n, method, params) -> route | nil (params filled in)
local function walk(node, segs, i, n, method, names, values, depth)
  if i > n then
    local r = node.routes and node.routes[method]
    return r
  end
  local s = segs[i]
  local child = node.lit[s]
  if child then
    local r = walk(child, segs, i + 1, n, method, names, values, depth)
    if r then return r end
  end
  if s ~= "" then
    if node.param then
      names[depth + 1], values[depth + 1] = node.pname, s
      local r = walk(node.param, segs, i + 1, n, method, names, values, depth + 1)
      if r then return r end
      names[depth + 1], values[depth + 1] = nil, nil
    end
    if node.param_alt then
      for name, alt in pairs(node.param_alt) do
        names[depth + 1], values[depth + 1] = name, s
        local r = walk(alt, segs, i + 1, n, method, names, values, depth + 1)
        if r then return r end
        names[depth + 1], values[depth + 1] = nil, nil
      end
    end
  end
  return nil
end

-- match(method, segs, first, last) -> route, params | nil
function _M:match(method, segs, first, last)
  local names, values = {}, {}
  local r = walk(self.root, segs, first or 1, last or #segs, method, names, values, 0)
  if not r then return nil end
  local params = {}
  for i = 1, #names do
    if names[i] then params[names[i]] = values[i] end
  end
  return r, params
end

return _M
