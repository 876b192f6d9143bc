-- kibana.api.spaces: spaces management. Global: never a /s/ prefix, also
-- through a client scoped to a space. The copy endpoints take the SOURCE
-- space as prefix, given as `space_id` (or the scoped client's space); their
-- destination spaces must exist (Kibana would write into orphan namespaces).

local _M = {}

_M.name = "spaces"

local SPACE_FIELDS = {
  "id", "name", "description", "color", "initials", "imageUrl",
  "disabledFeatures", "_reserved", "solution", "projectRouting",
}

_M.endpoints = {
  create = {
    method = "POST",
    path = "/api/spaces/space",
    body = SPACE_FIELDS,
    array_body = { disabledFeatures = true },
    global = true,
    names_space = "id",
    invalidates_space = "id",
  },
  get = {
    method = "GET",
    path = "/api/spaces/space/{id}",
    positional = { "id" },
    global = true,
    names_space = "id",
  },
  get_all = {
    method = "GET",
    path = "/api/spaces/space",
    query = { "purpose", "include_authorized_purposes" },
    global = true,
  },
  -- PUT /api/spaces/space/{id}; Kibana wants `id` (and `name`) in the body
  -- too: `id` is both a path parameter and a body member.
  update = {
    method = "PUT",
    path = "/api/spaces/space/{id}",
    positional = { "id" },
    body = SPACE_FIELDS,
    array_body = { disabledFeatures = true },
    global = true,
    names_space = "id",
  },
  delete = {
    method = "DELETE",
    path = "/api/spaces/space/{id}",
    positional = { "id" },
    global = true,
    names_space = "id",
    invalidates_space = "id",
  },
  copy_saved_objects = {
    method = "POST",
    path = "/api/spaces/_copy_saved_objects",
    body = { "spaces", "objects", "includeReferences", "overwrite", "createNewCopies", "compatibilityMode" },
    array_body = { spaces = true, objects = true },
    destinations = { list = "spaces" },
  },
  resolve_copy_errors = {
    method = "POST",
    path = "/api/spaces/_resolve_copy_saved_objects_errors",
    body = { "retries", "objects", "includeReferences", "createNewCopies", "compatibilityMode" },
    array_body = { objects = true },
    destinations = { keys = "retries" },
  },
}

return _M
