/*
 * kc_core.h - the pure C core of lua-kibana.
 *
 * Nothing here includes a Lua header: these are the parts of the client that
 * must be exact, fast or shared (space-id rule, path building and
 * percent-encoding, the TTL space cache, response classification,
 * Retry-After and backoff arithmetic, the libcurl transport). The Lua binding
 * in src/lua/ wraps them; the C unit tests in spec/c/ call them directly.
 *
 * Conventions: functions return 0 on success and a negative KC_E* code on
 * failure; when an `err` buffer is given it receives a readable message that
 * names the offending argument. Every object has a *_new and a *_free; *_free
 * accepts NULL and may be called once.
 */
#ifndef KC_CORE_H
#define KC_CORE_H

#include <stddef.h>
#include <stdint.h>

#define KC_VERSION "0.1.0"

/* error codes */
#define KC_OK 0
#define KC_EINVAL (-1)   /* bad argument (message in err) */
#define KC_ENOMEM (-2)
#define KC_ETOOLONG (-3) /* output does not fit */
#define KC_EHTTP (-4)    /* transport failure (kind and message in the response) */

#define KC_ERRLEN 256

/* ------------------------------------------------------------------ */
/* space ids (space_id.c)                                             */

/* The default space: NULL, "" is NOT default (it is invalid), "default" is. */
int kc_space_is_default(const char *id, size_t len);

/* Kibana's rule, whole string: ^[a-z0-9_-]+$. Returns 1 when valid, 0 when
 * not; on 0 writes to err (may be NULL) a message such as
 * "space id 'Marketing Team' is invalid: character 'M' at position 1 is not
 * allowed (use a-z, 0-9, '_' and '-')" or "space id must not be empty". */
int kc_space_id_valid(const char *id, size_t len, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* growable byte buffer (buffer.c)                                    */

typedef struct kc_buf {
    char *data;
    size_t len;
    size_t cap;
} kc_buf;

void kc_buf_init(kc_buf *b);
int kc_buf_add(kc_buf *b, const char *s, size_t n);
int kc_buf_addc(kc_buf *b, char c);
int kc_buf_adds(kc_buf *b, const char *s);
void kc_buf_free(kc_buf *b);

/* ------------------------------------------------------------------ */
/* paths (path.c)                                                     */

/* Appends `s` percent-encoded as ONE path segment: everything except the
 * RFC 3986 unreserved set A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex),
 * so '/', '?', '#', '%', ' ', '..' bytes and non-ASCII never leave the
 * segment. A segment that is exactly "." or ".." is encoded as %2E / %2E%2E. */
int kc_path_encode_segment(kc_buf *out, const char *s, size_t len);

/* Query component encoding (application/x-www-form-urlencoded style but with
 * %20 for space): unreserved kept, everything else %XX. */
int kc_query_encode(kc_buf *out, const char *s, size_t len);

/* Looks up the value of a template parameter. Returns 1 and sets *val and *len
 * when found, 0 when absent. */
typedef int (*kc_param_fn)(void *ud, const char *name, size_t namelen,
                           const char **val, size_t *len);

/* Builds base_path + ["/s/" space] + template with every {name} replaced by
 * the encoded value of that parameter. base_path may be NULL or "" and must
 * not end with '/' (a trailing '/' is dropped). space NULL or "default" ⇒ no
 * prefix; any other space must pass kc_space_id_valid. A missing or empty
 * parameter is KC_EINVAL with "missing path parameter 'id'" /
 * "path parameter 'id' must not be empty"; so is a parameter that is exactly
 * "." or "..", which Kibana's URL parsing would resolve as a dot segment. */
int kc_path_build(kc_buf *out, const char *base_path, const char *space,
                  const char *tmpl, kc_param_fn lookup, void *ud,
                  char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* monotonic clock (clock.c)                                          */

/* Seconds since an arbitrary start, from CLOCK_MONOTONIC. */
double kc_monotonic(void);

/* ------------------------------------------------------------------ */
/* space validation cache (space_cache.c)                             */

typedef enum {
    KC_SPACE_UNKNOWN = 0, /* not cached or expired: ask Kibana */
    KC_SPACE_EXISTS = 1,
    KC_SPACE_MISSING = 2
} kc_space_state;

typedef struct kc_space_cache kc_space_cache;

typedef struct kc_space_cache_stats {
    uint64_t hits;    /* answered from the cache */
    uint64_t misses;  /* had to ask Kibana */
    uint64_t lookups; /* hits + misses */
    size_t size;      /* live entries (expired ones may still count until purged) */
} kc_space_cache_stats;

/* ttl: seconds an "exists" answer lives; missing_ttl: seconds a "missing"
 * answer lives (0 = never cache misses). `now` lets tests supply a clock; NULL
 * means kc_monotonic. */
kc_space_cache *kc_space_cache_new(double ttl, double missing_ttl,
                                   double (*now)(void));
void kc_space_cache_free(kc_space_cache *c);
/* Counts a hit or a miss. */
kc_space_state kc_space_cache_get(kc_space_cache *c, const char *id, size_t len);
int kc_space_cache_put(kc_space_cache *c, const char *id, size_t len,
                       kc_space_state state);
void kc_space_cache_invalidate(kc_space_cache *c, const char *id, size_t len);
void kc_space_cache_clear(kc_space_cache *c);
void kc_space_cache_stats_get(const kc_space_cache *c, kc_space_cache_stats *out);
int kc_space_cache_set_ttl(kc_space_cache *c, double ttl, double missing_ttl);

/* ------------------------------------------------------------------ */
/* classification (classify.c)                                        */

/* Name of the error class for an HTTP status: NULL for 1xx-3xx,
 * "BadRequestError" 400, "AuthenticationError" 401, "AuthorizationError" 403,
 * "NotFoundError" 404, "ConflictError" 409, "PayloadTooLargeError" 413,
 * "TooManyRequestsError" 429, "ServerError" 5xx, "ApiError" other 4xx. */
const char *kc_classify_status(int status);

/* Whether a status is worth retrying for an idempotent request
 * (429, 502, 503, 504). */
int kc_status_retryable(int status);

/* ------------------------------------------------------------------ */
/* Retry-After and backoff (retry.c)                                  */

/* Parses a Retry-After value: delta-seconds ("120") or an IMF-fixdate
 * ("Wed, 21 Oct 2015 07:28:00 GMT") relative to now_epoch. Returns the delay
 * in seconds (>= 0, past dates give 0) or -1 when unparsable. */
double kc_retry_after(const char *value, double now_epoch);

/* Exponential backoff: base * 2^(attempt-1), capped at cap; attempt >= 1.
 * jitter in [0,1] scales a uniform random fraction taken off the delay
 * (0 = deterministic). */
double kc_backoff(int attempt, double base, double cap, double jitter);

/* ------------------------------------------------------------------ */
/* libcurl transport (http_curl.c)                                    */

typedef struct kc_http kc_http;

typedef struct kc_http_opts {
    long timeout_ms;         /* total, 0 = none */
    long connect_timeout_ms; /* 0 = curl default */
    int verify;              /* TLS peer + host verification, default 1 */
    const char *ca_file;
    const char *client_cert;
    const char *client_key;
    const char *proxy;
    const char *user_agent;
} kc_http_opts;

typedef enum {
    KC_HTTP_OK = 0,
    KC_HTTP_ECONNECT, /* connection refused, DNS, reset, dropped */
    KC_HTTP_ETIMEOUT,
    KC_HTTP_ETLS,
    KC_HTTP_EOTHER
} kc_http_errkind;

typedef struct kc_header {
    char *name;  /* lower-cased */
    char *value; /* trimmed */
} kc_header;

typedef struct kc_http_response {
    long status;         /* also set on a transport failure after the status
                            line arrived (e.g. body cut short); 0 otherwise */
    kc_header *headers;
    size_t nheaders;
    kc_buf body;
    kc_http_errkind errkind;
    char errmsg[KC_ERRLEN];
    double duration; /* seconds */
} kc_http_response;

kc_http *kc_http_new(const kc_http_opts *opts, char *err, size_t errlen);
void kc_http_free(kc_http *h);
/* One request on the reused easy handle. headers: NULL-terminated array of
 * "Name: value" strings. Always fills resp (errkind != OK on transport
 * failure); returns 0 when an HTTP response was received. */
int kc_http_request(kc_http *h, const char *method, const char *url,
                    const char *const *headers, const char *body,
                    size_t bodylen, kc_http_response *resp);
void kc_http_response_free(kc_http_response *resp);

#endif
