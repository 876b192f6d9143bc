#!/usr/bin/env bash
# tools/openapi-check.sh - check that the Kibana emulator's responses validate against the
# Kibana OpenAPI documents, using Stoplight Prism as a validating proxy.
#
# Not part of the test suite (it needs Node.js and npm): install Prism once with
#   npm install -g @stoplight/prism-cli@5.14.2      (5.14.2 runs on Node 20)
#
# What it does:
#   1. starts the emulator (emulator/kibana-emulator --daemon --port 0), unless
#      KIBANA_EMULATOR_URL points at one that is already running;
#   2. writes corrected copies of the OpenAPI documents (openapi/README.md list, plus the
#      document errors this check found; each one is listed in docs/openapi-check.md);
#   3. for each document runs `prism proxy <doc> <emulator>` and sends one representative
#      request per route through it; Prism reports every request/response violation in the
#      `sl-violations` response header (run without --errors so that a request-side
#      violation does not stop the response from being checked);
#   4. prints one line per request and fails when any violation or unexpected status occurs.
#
# Usage: tools/openapi-check.sh [--doc NAME]... [--raw] [--keep]
#   --doc NAME   check only these documents: saved_objects, spaces, connectors (the default
#                set) and saved_objects.official-bundled (the verbatim 8.x bundle, opt-in)
#   --raw        use the documents as they are (no corrections): shows the document errors
#   --keep       keep the work directory (corrected documents, Prism logs)
# Environment: OPENAPI_DIR (default ../shared/kibana/openapi beside the repo), KIBANA_EMULATOR_URL,
#              PRISM (default: prism on PATH).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
openapi_dir=${OPENAPI_DIR:-$root/../shared/kibana/openapi}
prism_bin=${PRISM:-prism}
docs=()
raw=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --doc) docs+=("$2"); shift 2 ;;
        --raw) raw=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "openapi-check: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#docs[@]} -gt 0 ] || docs=(saved_objects spaces connectors)

command -v node >/dev/null || { echo "openapi-check: node is required" >&2; exit 2; }
command -v "$prism_bin" >/dev/null || {
    echo "openapi-check: prism not found; npm install -g @stoplight/prism-cli@5.14.2" >&2; exit 2; }
npm_root=$(npm root -g 2>/dev/null)
export NODE_PATH="$npm_root/@stoplight/prism-cli/node_modules:$npm_root${NODE_PATH:+:$NODE_PATH}"

work=$(mktemp -d "${TMPDIR:-/tmp}/openapi-check.XXXXXX")
emu_dir="$work/emulator"
started_emu=0
prism_pid=""
cleanup() {
    [ -n "$prism_pid" ] && kill "$prism_pid" 2>/dev/null
    if [ "$started_emu" = 1 ]; then
        "$root/emulator/kibana-emulator" --stop --dir "$emu_dir" >/dev/null 2>&1 || true
    fi
    if [ "$keep" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- 1. the emulator ------------------------------------------------------------------
if [ -n "${KIBANA_EMULATOR_URL:-}" ]; then
    emu_url=$KIBANA_EMULATOR_URL
else
    mkdir -p "$emu_dir"
    if ! out=$("$root/emulator/kibana-emulator" --daemon --port 0 --dir "$emu_dir" 2>&1); then
        echo "openapi-check: the emulator failed to start:"; printf '%s\n' "$out"; exit 2
    fi
    started_emu=1
    emu_url=$(printf '%s\n' "$out" | sed -n 's/^ready //p' | tail -n 1)
fi
echo "emulator: $emu_url"

# --- 2. + 4. the Node helper: corrections and requests ---------------------------------
cat > "$work/check.js" <<'NODE'
// openapi-check helper: `node check.js fix <in> <out> <doc> <raw>` writes a corrected copy;
// `node check.js run <doc> <proxy-url> <emulator-url>` sends the requests and reports.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

// ---- corrections ------------------------------------------------------------------------
// README = listed in openapi/README.md ("Known errors in the official documents themselves");
// FOUND  = found by this check, evidence in docs/openapi-check.md.
function fix(doc, api) {
  const applied = [];
  const p = api.paths;
  if (doc.startsWith('saved_objects')) {
    // README: _bulk_update is registered with router.put
    const bu = p['/api/saved_objects/_bulk_update'];
    if (bu && bu.post && !bu.put) { bu.put = bu.post; delete bu.post; applied.push('README: PUT /api/saved_objects/_bulk_update (document says POST)'); }
    // README: DELETE /api/saved_objects/{type}/{id} exists (query force)
    const one = p['/api/saved_objects/{type}/{id}'];
    if (one && !one.delete) {
      one.delete = {
        deprecated: true,
        operationId: 'deleteSavedObject',
        parameters: [
          { in: 'path', name: 'type', required: true, schema: { type: 'string' } },
          { in: 'path', name: 'id', required: true, schema: { type: 'string' } },
          { in: 'query', name: 'force', schema: { type: 'boolean' } },
        ],
        responses: {
          '200': { description: 'Indicates a successful call.', content: { 'application/json': { schema: { type: 'object' } } } },
          '400': { description: 'Bad request.', content: { 'application/json': { schema: {
            type: 'object', required: ['error', 'message', 'statusCode'], additionalProperties: false,
            properties: { error: { type: 'string', enum: ['Bad Request'] }, message: { type: 'string' },
                          statusCode: { type: 'integer', enum: [400] } } } } } },
          '404': { description: 'Not found.', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      };
      applied.push('README: DELETE /api/saved_objects/{type}/{id} added (missing from the document)');
    }
    // FOUND: _export answers Content-Type application/ndjson (route code and API test), not application/x-ndjson
    const ex = p['/api/saved_objects/_export'];
    const ok200 = ex && ex.post && ex.post.responses['200'];
    if (ok200 && ok200.content && !ok200.content['application/ndjson']) {
      // an NDJSON body is a stream of JSON texts: no single-object schema applies (the 8.x
      // bundle says `type: object`, which no multi-line export can satisfy)
      ok200.content['application/ndjson'] = { schema: {} };
      applied.push('FOUND: _export 200 media type application/ndjson (document: application/x-ndjson), schema any');
    }
    // FOUND: _import multipart field `file` is a file (string/binary), not an object
    const im = p['/api/saved_objects/_import'];
    const mp = im && im.post && im.post.requestBody && im.post.requestBody.content['multipart/form-data'];
    if (mp && mp.schema.properties.file && mp.schema.properties.file.type === 'object') {
      mp.schema.properties.file.type = 'string';
      mp.schema.properties.file.format = 'binary';
      applied.push('FOUND: _import request field file is string/binary (document: object)');
    }
    // FOUND: _import 200 body: errors/successResults are only present when non-empty, and
    // Kibana always adds warnings (import.ts test: "warnings: []")
    const ir = im && im.post && im.post.responses['200'].content['application/json'].schema;
    if (ir && ir.required && ir.required.includes('errors')) {
      ir.required = ['success', 'successCount', 'warnings'];
      ir.properties.warnings = { type: 'array', items: { type: 'object', additionalProperties: true } };
      applied.push('FOUND: _import 200 requires success/successCount/warnings; errors/successResults optional');
    }
    // FOUND: _resolve_import_errors sends `retries` as a JSON text form field (API test:
    // .field('retries', JSON.stringify(retries))); a multipart field is a string, not an array
    const rie = p['/api/saved_objects/_resolve_import_errors'];
    const rmp = rie && rie.post && rie.post.requestBody && rie.post.requestBody.content['multipart/form-data'];
    if (rmp && rmp.schema.properties.retries && rmp.schema.properties.retries.type === 'array') {
      rmp.schema.properties.retries = { type: 'string', description: 'JSON text of the retries array' };
      applied.push('FOUND: _resolve_import_errors form field retries is JSON text (document: array)');
    }
  }
  if (doc === 'spaces') {
    // README: include_authorized_purposes is optional (schema.maybe(schema.boolean()))
    const get = p['/api/spaces/space'] && p['/api/spaces/space'].get;
    for (const prm of (get && get.parameters) || []) {
      if (prm.name === 'include_authorized_purposes' && prm.required) {
        prm.required = false;
        applied.push('README: GET /api/spaces/space include_authorized_purposes is optional');
      }
    }
    // FOUND: the extract documents no response at all for these two routes (the
    // terraform transform left `responses` empty); the shapes are BEHAVIOUR.md §3.1's:
    // _get_shareable_references 200 {objects:[{type,id,spaces,inboundReferences,...}]},
    // _disable_legacy_url_aliases 204 (route code: "return response.noContent();").
    const gsr = p['/api/spaces/_get_shareable_references'];
    if (gsr && gsr.post && Object.keys(gsr.post.responses || {}).length === 0) {
      gsr.post.responses = { '200': { description: 'Indicates a successful call.', content: { 'application/json': { schema: {
        type: 'object', required: ['objects'], properties: { objects: { type: 'array', items: {
          type: 'object', required: ['type', 'id', 'spaces', 'inboundReferences'],
          properties: { type: { type: 'string' }, id: { type: 'string' },
                        spaces: { type: 'array', items: { type: 'string' } },
                        inboundReferences: { type: 'array', items: { type: 'object',
                          required: ['type', 'id', 'name'],
                          properties: { type: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' } } } },
                        spacesWithMatchingAliases: { type: 'array', items: { type: 'string' } },
                        spacesWithMatchingOrigins: { type: 'array', items: { type: 'string' } },
                        isMissing: { type: 'boolean' } } } } } } } } } };
      applied.push('FOUND: POST /api/spaces/_get_shareable_references documents no response; 200 {objects} added');
    }
    const dla = p['/api/spaces/_disable_legacy_url_aliases'];
    if (dla && dla.post && Object.keys(dla.post.responses || {}).length === 0) {
      dla.post.responses = { '204': { description: 'Indicates a successful call.' } };
      applied.push('FOUND: POST /api/spaces/_disable_legacy_url_aliases documents no response; 204 added');
    }
  }
  if (doc === 'connectors') {
    const schemas = api.components.schemas;
    // FOUND: the config/secrets unions are `oneOf`, but their members are not mutually
    // exclusive (config-schema's oneOf takes the first match; JSON Schema's oneOf demands
    // exactly one), so a valid `.index` config fails; `anyOf` states what Kibana accepts
    for (const name of ['create_connector_config', 'create_connector_secrets', 'update_connector_config', 'update_connector_secrets']) {
      const sc = schemas[name];
      if (sc && sc.oneOf) { sc.anyOf = sc.oneOf; delete sc.oneOf; applied.push(`FOUND: ${name} oneOf -> anyOf`); }
    }
    // FOUND (terraform transform, README item 5): GET .../connectors items are
    // connector_response (additionalProperties: false) without referenced_by_count
    const all = p['/s/{spaceId}/api/actions/connectors'];
    const allSchema = all && all.get && all.get.responses['200'].content['application/json'].schema;
    if (allSchema && allSchema.items && allSchema.items.$ref === '#/components/schemas/connector_response') {
      const withCount = JSON.parse(JSON.stringify(schemas.connector_response));
      withCount.properties.referenced_by_count = { type: 'integer', description: 'Number of saved objects referencing the connector.' };
      withCount.required = [...withCount.required, 'referenced_by_count'];
      schemas.connector_response_with_count = withCount;
      allSchema.items = { $ref: '#/components/schemas/connector_response_with_count' };
      applied.push('FOUND: GET /s/{spaceId}/api/actions/connectors items carry referenced_by_count');
    }
    // FOUND: _execute answers the run result {connector_id, status, ...}, not a connector
    const ex = p['/api/actions/connector/{id}/_execute'];
    const exOk = ex && ex.post && ex.post.responses['200'];
    if (exOk && exOk.content['application/json'].schema.properties.connector_type_id) {
      exOk.content['application/json'].schema = {
        type: 'object', additionalProperties: false, required: ['connector_id', 'status'],
        properties: {
          connector_id: { type: 'string' }, status: { type: 'string', enum: ['ok', 'error'] },
          message: { type: 'string' }, service_message: { type: 'string' }, data: {},
          retry: { oneOf: [{ type: 'boolean' }, { type: 'string' }], nullable: true },
          errorSource: { type: 'string', enum: ['user', 'framework'] },
        },
      };
      applied.push('FOUND: _execute 200 is {connector_id, status, message?, service_message?, data?, retry?, errorSource?}');
    }
  }
  return applied;
}

// ---- requests ---------------------------------------------------------------------------
const NDJSON = [
  { type: 'index-pattern', id: 'oas-ip', attributes: { title: 'oas-*' }, references: [] },
  { type: 'visualization', id: 'oas-vis-imported', attributes: { title: 'Imported vis' },
    references: [{ name: 'r', type: 'index-pattern', id: 'oas-ip' }] },
].map((o) => JSON.stringify(o)).join('\n');

function file(name, text) { return { __file: true, name, text }; }

// one entry: [label, method, path, body, expected status]; body: object (JSON), {form: {...}} (multipart)
const REQUESTS = {
  saved_objects: [
    ['create with id', 'POST', '/api/saved_objects/index-pattern/oas-ip-1', { attributes: { title: 'logs-*' } }, 200],
    ['create with id + references', 'POST', '/api/saved_objects/visualization/oas-vis-1',
      { attributes: { title: 'Vis' }, references: [{ name: 'r', type: 'index-pattern', id: 'oas-ip-1' }] }, 200],
    ['create (generated id)', 'POST', '/api/saved_objects/dashboard', { attributes: { title: 'Dash' } }, 200],
    ['create conflict', 'POST', '/api/saved_objects/visualization/oas-vis-1', { attributes: { title: 'again' } }, 409],
    ['get', 'GET', '/api/saved_objects/visualization/oas-vis-1', null, 200],
    ['resolve', 'GET', '/api/saved_objects/resolve/visualization/oas-vis-1', null, 200],
    ['update', 'PUT', '/api/saved_objects/visualization/oas-vis-1', { attributes: { title: 'Vis 2' } }, 200],
    ['find', 'GET', '/api/saved_objects/_find?type=visualization&type=dashboard&search_fields=title&search=vis*&per_page=5', null, 200],
    ['find 10 000 window (400)', 'GET', '/api/saved_objects/_find?type=visualization&per_page=1000&page=11', null, 400],
    ['bulk_create', 'POST', '/api/saved_objects/_bulk_create',
      [{ type: 'dashboard', id: 'oas-dash-1', attributes: { title: 'Bulk' } }, { type: 'visualization', id: 'oas-vis-1', attributes: {} }], 200],
    ['bulk_get', 'POST', '/api/saved_objects/_bulk_get',
      [{ type: 'dashboard', id: 'oas-dash-1' }, { type: 'dashboard', id: 'missing' }], 200],
    ['bulk_resolve', 'POST', '/api/saved_objects/_bulk_resolve', [{ type: 'dashboard', id: 'oas-dash-1' }], 200],
    ['bulk_update', 'PUT', '/api/saved_objects/_bulk_update',
      [{ type: 'dashboard', id: 'oas-dash-1', attributes: { title: 'Bulk 2' } }], 200],
    ['export', 'POST', '/api/saved_objects/_export', { type: ['visualization', 'index-pattern'] }, 200],
    ['export without type/objects (400)', 'POST', '/api/saved_objects/_export', {}, 400],
    ['import', 'POST', '/api/saved_objects/_import', { form: { file: file('export.ndjson', NDJSON) } }, 200],
    ['import conflicts', 'POST', '/api/saved_objects/_import', { form: { file: file('export.ndjson', NDJSON) } }, 200],
    ['import wrong extension (400)', 'POST', '/api/saved_objects/_import', { form: { file: file('export.json', NDJSON) } }, 400],
    ['resolve_import_errors', 'POST', '/api/saved_objects/_resolve_import_errors',
      { form: { file: file('export.ndjson', NDJSON), retries: JSON.stringify([{ type: 'index-pattern', id: 'oas-ip', overwrite: true }]) } }, 200],
    ['bulk_delete', 'POST', '/api/saved_objects/_bulk_delete', [{ type: 'dashboard', id: 'oas-dash-1' }], 200],
    ['delete', 'DELETE', '/api/saved_objects/visualization/oas-vis-1', null, 200],
  ],
  spaces: [
    ['create space', 'POST', '/api/spaces/space', { id: 'oas-space', name: 'OAS space', disabledFeatures: [] }, 200],
    ['get all spaces', 'GET', '/api/spaces/space', null, 200],
    ['get all spaces with purpose', 'GET', '/api/spaces/space?purpose=any', null, 200],
    ['get space', 'GET', '/api/spaces/space/oas-space', null, 200],
    ['update space', 'PUT', '/api/spaces/space/oas-space', { id: 'oas-space', name: 'OAS space 2' }, 200],
    ['seed an object (direct)', 'SEED', '/api/saved_objects/dashboard/oas-copy-src', { attributes: { title: 'to copy' } }, 200],
    ['copy saved objects', 'POST', '/api/spaces/_copy_saved_objects',
      { spaces: ['oas-space'], objects: [{ type: 'dashboard', id: 'oas-copy-src' }] }, 200],
    ['resolve copy errors', 'POST', '/api/spaces/_resolve_copy_saved_objects_errors',
      { objects: [{ type: 'dashboard', id: 'oas-copy-src' }], retries: { 'oas-space': [{ type: 'dashboard', id: 'oas-copy-src', overwrite: true }] }, createNewCopies: false }, 200],
    ['update objects spaces', 'POST', '/api/spaces/_update_objects_spaces',
      { objects: [{ type: 'dashboard', id: 'oas-copy-src' }], spacesToAdd: ['oas-space'], spacesToRemove: [] }, 200],
    ['get shareable references', 'POST', '/api/spaces/_get_shareable_references',
      { objects: [{ type: 'dashboard', id: 'oas-copy-src' }] }, 200],
    ['disable legacy url aliases', 'POST', '/api/spaces/_disable_legacy_url_aliases',
      { aliases: [{ targetSpace: 'oas-space', targetType: 'dashboard', sourceId: 'x' }] }, 204],
    ['delete space', 'DELETE', '/api/spaces/space/oas-space', null, 204],
    ['delete missing space (404)', 'DELETE', '/api/spaces/space/oas-space', null, 404],
  ],
  connectors: [
    ['connector types', 'GET', '/api/actions/connector_types', null, 200],
    ['create connector', 'POST', '/s/default/api/actions/connector/oas-conn',
      { name: 'OAS index', connector_type_id: '.index', config: { index: 'oas-index' } }, 200],
    ['get connector', 'GET', '/s/default/api/actions/connector/oas-conn', null, 200],
    ['get connectors', 'GET', '/s/default/api/actions/connectors', null, 200],
    ['update connector', 'PUT', '/s/default/api/actions/connector/oas-conn', { name: 'OAS index 2', config: { index: 'oas-index' } }, 200],
    ['execute connector', 'POST', '/api/actions/connector/oas-conn/_execute', { params: { documents: [{ a: 1 }] } }, 200],
    ['delete connector', 'DELETE', '/s/default/api/actions/connector/oas-conn', null, 204],
  ],
};

async function send(base, method, path, body) {
  const headers = { authorization: 'Basic ' + Buffer.from('elastic:changeme').toString('base64'), 'kbn-xsrf': 'true' };
  let payload;
  if (body && body.form) {
    const fd = new FormData();
    for (const [k, v] of Object.entries(body.form)) {
      if (v && v.__file) fd.append(k, new Blob([v.text]), v.name); else fd.append(k, v);
    }
    payload = fd;
  } else if (body !== null && body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let violations = [];
  const h = res.headers.get('sl-violations');
  if (h) { try { violations = JSON.parse(h); } catch (e) { violations = [{ severity: 'Error', message: 'unparsable sl-violations: ' + h }]; } }
  return { status: res.status, text, violations, type: res.headers.get('content-type') };
}

async function run(doc, proxy, emulator) {
  let failures = 0;
  await fetch(emulator + '/_emulator/reset', { method: 'POST' }).catch(() => {});
  for (const [label, method, path, body, expected] of REQUESTS[doc.replace(/\..*$/, '')]) {
    const direct = method === 'SEED';
    const r = await send(direct ? emulator : proxy, direct ? 'POST' : method, path, body);
    // any violation fails, warnings included ("Selected route not found" is a warning: the
    // exchange was not validated at all)
    const bad = r.status !== expected || r.violations.length > 0;
    if (bad) failures++;
    console.log(`${bad ? 'FAIL' : 'ok  '} ${doc} ${method.padEnd(6)} ${path} -> ${r.status}${r.status !== expected ? ' (expected ' + expected + ')' : ''}  [${label}]`);
    for (const v of r.violations) {
      console.log(`       ${v.severity}: ${(v.location || []).join('.')} ${v.message}`);
    }
    if (r.status !== expected) console.log('       body: ' + r.text.slice(0, 300));
  }
  return failures;
}

(async () => {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'fix') {
    const [input, output, doc, rawFlag] = args;
    const api = yaml.load(fs.readFileSync(input, 'utf8'));
    const applied = rawFlag === '1' ? [] : fix(doc, api);
    fs.writeFileSync(output, yaml.dump(api, { lineWidth: -1, noRefs: true }));
    for (const a of applied) console.log('  correction: ' + a);
  } else if (cmd === 'run') {
    const failures = await run(args[0], args[1], args[2]);
    process.exit(failures ? 1 : 0);
  } else {
    console.error('usage: check.js fix|run ...');
    process.exit(2);
  }
})().catch((e) => { console.error(e); process.exit(2); });
NODE

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# --- 3. one Prism proxy per document -------------------------------------------------------
status=0
for doc in "${docs[@]}"; do
    src="$openapi_dir/$doc.yaml"
    [ -f "$src" ] || { echo "openapi-check: no document $src" >&2; status=2; continue; }
    fixed="$work/$doc.yaml"
    echo "== $doc ($src)"
    node "$work/check.js" fix "$src" "$fixed" "$doc" "$raw" || { status=2; continue; }
    port=$(free_port)
    "$prism_bin" proxy "$fixed" "$emu_url" -p "$port" -h 127.0.0.1 > "$work/prism-$doc.log" 2>&1 &
    prism_pid=$!
    for _ in $(seq 1 100); do
        grep -q "Prism is listening" "$work/prism-$doc.log" 2>/dev/null && break
        kill -0 "$prism_pid" 2>/dev/null || break
        sleep 0.2
    done
    if ! grep -q "Prism is listening" "$work/prism-$doc.log"; then
        echo "openapi-check: prism did not start for $doc:"; tail -20 "$work/prism-$doc.log"; status=1
    else
        node "$work/check.js" run "$doc" "http://127.0.0.1:$port" "$emu_url" || status=1
    fi
    kill "$prism_pid" 2>/dev/null; wait "$prism_pid" 2>/dev/null; prism_pid=""
done

if [ "$status" = 0 ]; then echo "openapi-check: no violations"; else echo "openapi-check: FAILED"; fi
exit "$status"
