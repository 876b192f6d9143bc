/*
 * http_curl.c - the blocking libcurl transport (kc_http_*).
 *
 * One kc_http owns one CURL easy handle that is reused for every request, so
 * connections (and TLS sessions) are kept alive between calls. Before each
 * request the handle is curl_easy_reset(), which drops every option of the
 * previous request (a GET after a POST sends no body, a HEAD does not leave
 * NOBODY behind...) but keeps the connection cache, DNS cache and TLS session
 * cache; the connection-level options are then applied again.
 *
 * Pure C: the callbacks here only append to buffers and never call into Lua,
 * so nothing can longjmp across libcurl.
 *
 * libcurl's global state is initialised exactly once per process, the first
 * time kc_http_new is called, through pthread_once (curl_global_init is not
 * safe to call concurrently on older libcurl versions). It is never cleaned
 * up: the module may be unloaded and reloaded, other libraries in the same
 * process may use libcurl, and the OS reclaims it at exit.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kc_core.h"

struct kc_http {
    CURL *curl;
    long timeout_ms;
    long connect_timeout_ms;
    int verify;
    char *ca_file;
    char *client_cert;
    char *client_key;
    char *proxy;
    char *user_agent;
    char errbuf[CURL_ERROR_SIZE];
};

/* Per-request state handed to the write and header callbacks. */
typedef struct kc_http_ctx {
    kc_http_response *resp;
    size_t hcap;  /* allocated slots in resp->headers */
    int oom;      /* a callback ran out of memory */
} kc_http_ctx;

/* ------------------------------------------------------------------ */
/* global init                                                        */

static pthread_once_t kc_curl_once = PTHREAD_ONCE_INIT;
static CURLcode kc_curl_init_rc = CURLE_OK;

static void kc_curl_global_init(void)
{
    kc_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* small helpers                                                      */

static char *kc_strdup_opt(const char *s, int *oom)
{
    char *p;
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    p = malloc(n + 1);
    if (p == NULL) {
        *oom = 1;
        return NULL;
    }
    memcpy(p, s, n + 1);
    return p;
}

static void kc_set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

/* Copies the authority of `url` (host[:port], without any user:password@)
 * into out, for error messages. */
static void kc_url_host(const char *url, char *out, size_t outlen)
{
    const char *p, *end, *at;
    size_t n;

    out[0] = '\0';
    if (url == NULL)
        return;
    p = strstr(url, "://");
    p = p ? p + 3 : url;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    while (at != NULL) { /* the last '@' ends the userinfo */
        p = at + 1;
        at = memchr(p, '@', (size_t)(end - p));
    }
    n = (size_t)(end - p);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* ------------------------------------------------------------------ */
/* callbacks                                                          */

/* Body bytes: appended to resp->body. Returning less than asked aborts the
 * transfer with CURLE_WRITE_ERROR. */
static size_t kc_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    kc_http_ctx *ctx = ud;
    size_t n = size * nmemb;

    if (kc_buf_add(&ctx->resp->body, ptr, n) != KC_OK) {
        ctx->oom = 1;
        return 0;
    }
    return n;
}

static void kc_headers_clear(kc_http_response *resp)
{
    size_t i;

    for (i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    resp->nheaders = 0;
}

/* Whether the stored (lower-case) name equals name[0..nlen) ignoring case. */
static int kc_name_eq(const char *lower, const char *name, size_t nlen)
{
    size_t i;

    for (i = 0; i < nlen; i++)
        if (lower[i] == '\0'
            || lower[i] != (char)tolower((unsigned char)name[i]))
            return 0;
    return lower[nlen] == '\0';
}

/* Stores one header: a repeated name gets its values joined with ", ". */
static int kc_header_store(kc_http_ctx *ctx, const char *name, size_t nlen,
                           const char *val, size_t vlen)
{
    kc_http_response *resp = ctx->resp;
    kc_header *h;
    size_t i;
    char *n, *v;

    for (i = 0; i < resp->nheaders; i++) {
        h = &resp->headers[i];
        if (kc_name_eq(h->name, name, nlen)) {
            size_t old = strlen(h->value);
            v = realloc(h->value, old + 2 + vlen + 1);
            if (v == NULL)
                return -1;
            memcpy(v + old, ", ", 2);
            memcpy(v + old + 2, val, vlen);
            v[old + 2 + vlen] = '\0';
            h->value = v;
            return 0;
        }
    }
    if (resp->nheaders == ctx->hcap) {
        size_t cap = ctx->hcap ? ctx->hcap * 2 : 16;
        kc_header *nh = realloc(resp->headers, cap * sizeof *nh);
        if (nh == NULL)
            return -1;
        resp->headers = nh;
        ctx->hcap = cap;
    }
    n = malloc(nlen + 1);
    v = malloc(vlen + 1);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return -1;
    }
    for (i = 0; i < nlen; i++)
        n[i] = (char)tolower((unsigned char)name[i]);
    n[nlen] = '\0';
    memcpy(v, val, vlen);
    v[vlen] = '\0';
    resp->headers[resp->nheaders].name = n;
    resp->headers[resp->nheaders].value = v;
    resp->nheaders++;
    return 0;
}

/* Appends a folded continuation line (obsolete RFC 7230 syntax) to the value
 * of the last header. */
static int kc_header_continue(kc_http_ctx *ctx, const char *val, size_t vlen)
{
    kc_header *h;
    size_t old;
    char *v;

    if (ctx->resp->nheaders == 0 || vlen == 0)
        return 0;
    h = &ctx->resp->headers[ctx->resp->nheaders - 1];
    old = strlen(h->value);
    v = realloc(h->value, old + 1 + vlen + 1);
    if (v == NULL)
        return -1;
    v[old] = ' ';
    memcpy(v + old + 1, val, vlen);
    v[old + 1 + vlen] = '\0';
    h->value = v;
    return 0;
}

/* One header line per call, status lines included. A status line starts a
 * new response (after a redirect, a 100 Continue or a proxy CONNECT), so the
 * headers collected so far are dropped: only the final response's remain. */
static size_t kc_header_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    kc_http_ctx *ctx = ud;
    size_t n = size * nmemb;
    size_t len = n, nlen;
    const char *colon, *val;
    int folded;

    if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        kc_headers_clear(ctx->resp);
        return n;
    }
    folded = len > 0 && (ptr[0] == ' ' || ptr[0] == '\t');
    /* trim trailing CR LF and whitespace */
    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'
                       || ptr[len - 1] == ' ' || ptr[len - 1] == '\t'))
        len--;
    if (len == 0)
        return n; /* the blank line ending a header block */
    if (folded) {
        val = ptr;
        while (len > 0 && (*val == ' ' || *val == '\t')) {
            val++;
            len--;
        }
        if (kc_header_continue(ctx, val, len) != 0) {
            ctx->oom = 1;
            return 0;
        }
        return n;
    }
    colon = memchr(ptr, ':', len);
    if (colon == NULL || colon == ptr)
        return n; /* not a header line: ignore */
    nlen = (size_t)(colon - ptr);
    while (nlen > 0 && (ptr[nlen - 1] == ' ' || ptr[nlen - 1] == '\t'))
        nlen--;
    val = colon + 1;
    len -= (size_t)(val - ptr);
    while (len > 0 && (*val == ' ' || *val == '\t')) {
        val++;
        len--;
    }
    if (kc_header_store(ctx, ptr, nlen, val, len) != 0) {
        ctx->oom = 1;
        return 0;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* handle                                                             */

/* kc_http_new: copies the options (the caller's strings need not outlive the
 * call) and creates the easy handle. */
kc_http *kc_http_new(const kc_http_opts *opts, char *err, size_t errlen)
{
    kc_http *h;
    int oom = 0;

    pthread_once(&kc_curl_once, kc_curl_global_init);
    if (kc_curl_init_rc != CURLE_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "libcurl initialisation failed: %s",
                     curl_easy_strerror(kc_curl_init_rc));
        return NULL;
    }
    if (opts != NULL && opts->timeout_ms < 0) {
        kc_set_err(err, errlen, "timeout must not be negative");
        return NULL;
    }
    if (opts != NULL && opts->connect_timeout_ms < 0) {
        kc_set_err(err, errlen, "connect_timeout must not be negative");
        return NULL;
    }
    h = calloc(1, sizeof *h);
    if (h == NULL) {
        kc_set_err(err, errlen, "out of memory");
        return NULL;
    }
    h->verify = 1;
    if (opts != NULL) {
        h->timeout_ms = opts->timeout_ms;
        h->connect_timeout_ms = opts->connect_timeout_ms;
        h->verify = opts->verify ? 1 : 0;
        h->ca_file = kc_strdup_opt(opts->ca_file, &oom);
        h->client_cert = kc_strdup_opt(opts->client_cert, &oom);
        h->client_key = kc_strdup_opt(opts->client_key, &oom);
        h->proxy = kc_strdup_opt(opts->proxy, &oom);
        h->user_agent = kc_strdup_opt(opts->user_agent, &oom);
    }
    if (!oom)
        h->curl = curl_easy_init();
    if (oom || h->curl == NULL) {
        kc_set_err(err, errlen, oom ? "out of memory"
                                    : "curl_easy_init failed");
        kc_http_free(h);
        return NULL;
    }
    return h;
}

void kc_http_free(kc_http *h)
{
    if (h == NULL)
        return;
    if (h->curl != NULL)
        curl_easy_cleanup(h->curl);
    free(h->ca_file);
    free(h->client_cert);
    free(h->client_key);
    free(h->proxy);
    free(h->user_agent);
    free(h);
}

/* Applies the per-connection options (after curl_easy_reset). */
static CURLcode kc_apply_conn_opts(kc_http *h)
{
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;

#define KC_SETOPT(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
    KC_SETOPT(CURLOPT_NOSIGNAL, 1L);
    KC_SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
    KC_SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    KC_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    KC_SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    KC_SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    KC_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    KC_SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    KC_SETOPT(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    KC_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    KC_SETOPT(CURLOPT_SSL_VERIFYPEER, h->verify ? 1L : 0L);
    KC_SETOPT(CURLOPT_SSL_VERIFYHOST, h->verify ? 2L : 0L);
    if (h->ca_file != NULL)
        KC_SETOPT(CURLOPT_CAINFO, h->ca_file);
    if (h->client_cert != NULL)
        KC_SETOPT(CURLOPT_SSLCERT, h->client_cert);
    if (h->client_key != NULL)
        KC_SETOPT(CURLOPT_SSLKEY, h->client_key);
    if (h->proxy != NULL)
        KC_SETOPT(CURLOPT_PROXY, h->proxy);
    if (h->user_agent != NULL)
        KC_SETOPT(CURLOPT_USERAGENT, h->user_agent);
#undef KC_SETOPT
    return rc;
}

/* Maps a curl failure to an error kind and a message naming the host. */
static void kc_http_fail(kc_http *h, CURLcode rc, const char *url,
                         kc_http_response *resp)
{
    char host[128];
    const char *what, *detail;

    kc_url_host(url, host, sizeof host);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        resp->errkind = KC_HTTP_ECONNECT;
        what = "connection to";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        resp->errkind = KC_HTTP_ETIMEOUT;
        what = "timeout talking to";
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
#if LIBCURL_VERSION_NUM >= 0x074d00 /* 7.77.0 */
    case CURLE_SSL_CLIENTCERT:
#endif
        resp->errkind = KC_HTTP_ETLS;
        what = "TLS error with";
        break;
    default:
        resp->errkind = KC_HTTP_EOTHER;
        what = "request to";
        break;
    }
    /* curl's detailed message when it wrote one (it names the cause, e.g.
     * "Failed to connect to host port 9 after 0 ms: Couldn't connect to
     * server"), its generic text otherwise. A long message is cut to
     * KC_ERRLEN; the return value is checked only to say so to the
     * compiler. */
    detail = h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(rc);
    if (snprintf(resp->errmsg, sizeof resp->errmsg, "%s %s failed: %s", what,
                 host, detail) < 0)
        resp->errmsg[0] = '\0';
}

/* Whether the NULL-terminated header list already names `name`. */
static int kc_has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);

    for (; headers != NULL && *headers != NULL; headers++) {
        const char *s = *headers;
        size_t i;
        for (i = 0; i < n && s[i] != '\0'; i++)
            if (tolower((unsigned char)s[i]) != name[i])
                break;
        if (i == n && (s[n] == ':' || s[n] == ';'))
            return 1;
    }
    return 0;
}

/* kc_http_request: one request on the reused handle. See kc_core.h.
 * Returns 0 when an HTTP response was received (resp->errkind == KC_HTTP_OK),
 * KC_EINVAL for bad arguments, KC_ENOMEM when the request could not be
 * prepared, and KC_EHTTP on a transport failure; in every failure
 * case resp->errkind != KC_HTTP_OK and resp->errmsg says what happened.
 *
 * Request headers are the caller's: libcurl adds Host, Accept-Encoding,
 * User-Agent and Content-Length only. It does not invent a Content-Type for
 * a body (curl would say x-www-form-urlencoded) and does not send
 * "Expect: 100-continue" unless the caller asks for it. Redirects are not
 * followed: a 3xx is returned as it is. */
int kc_http_request(kc_http *h, const char *method, const char *url,
                    const char *const *headers, const char *body,
                    size_t bodylen, kc_http_response *resp)
{
    struct curl_slist *list = NULL, *tmp;
    kc_http_ctx ctx;
    CURLcode rc = CURLE_OK;
    CURL *c;
    double t0;
    int ok = 1, is_head, is_get;
    const char *const *hp;

    if (resp == NULL)
        return KC_EINVAL;
    memset(resp, 0, sizeof *resp);
    kc_buf_init(&resp->body);
    resp->errkind = KC_HTTP_EOTHER;
    if (h == NULL || h->curl == NULL || method == NULL || url == NULL
        || (body == NULL && bodylen > 0)) {
        snprintf(resp->errmsg, sizeof resp->errmsg,
                 "kc_http_request: bad arguments");
        return KC_EINVAL;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0
        && strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0
        && strcmp(method, "PATCH") != 0 && strcmp(method, "HEAD") != 0) {
        snprintf(resp->errmsg, sizeof resp->errmsg,
                 "unsupported HTTP method '%.32s'", method);
        return KC_EINVAL;
    }
    is_head = strcmp(method, "HEAD") == 0;
    is_get = strcmp(method, "GET") == 0;
    c = h->curl;
    t0 = kc_monotonic();

    /* request headers */
    for (hp = headers; hp != NULL && *hp != NULL && ok; hp++) {
        tmp = curl_slist_append(list, *hp);
        if (tmp == NULL)
            ok = 0;
        else
            list = tmp;
    }
    if (ok && !kc_has_header(headers, "expect")) {
        tmp = curl_slist_append(list, "Expect:");
        if (tmp == NULL)
            ok = 0;
        else
            list = tmp;
    }
    if (ok && !is_head && !kc_has_header(headers, "content-type")
        && (body != NULL || !is_get)) {
        tmp = curl_slist_append(list, "Content-Type:");
        if (tmp == NULL)
            ok = 0;
        else
            list = tmp;
    }
    if (!ok) {
        curl_slist_free_all(list);
        snprintf(resp->errmsg, sizeof resp->errmsg, "out of memory");
        return KC_ENOMEM;
    }

    ctx.resp = resp;
    ctx.hcap = 0;
    ctx.oom = 0;
    curl_easy_reset(c);
    h->errbuf[0] = '\0';
    rc = kc_apply_conn_opts(h);
#define KC_SETOPT(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
    KC_SETOPT(CURLOPT_URL, url);
    KC_SETOPT(CURLOPT_HTTPHEADER, list);
    KC_SETOPT(CURLOPT_WRITEFUNCTION, kc_write_cb);
    KC_SETOPT(CURLOPT_WRITEDATA, &ctx);
    KC_SETOPT(CURLOPT_HEADERFUNCTION, kc_header_cb);
    KC_SETOPT(CURLOPT_HEADERDATA, &ctx);
    if (is_head) {
        KC_SETOPT(CURLOPT_NOBODY, 1L);
    } else if (is_get && body == NULL) {
        KC_SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        KC_SETOPT(CURLOPT_CUSTOMREQUEST, method);
        /* POST/PUT/PATCH always carry a (possibly empty) body so that a
         * Content-Length is sent; DELETE and GET only when given one. */
        if (body != NULL || strcmp(method, "DELETE") != 0) {
            KC_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
            KC_SETOPT(CURLOPT_POSTFIELDS, body != NULL ? body : "");
        }
    }
#undef KC_SETOPT
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);
    curl_slist_free_all(list);
    /* the handle must not keep pointers to this call's data */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)NULL);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)NULL);
    resp->duration = kc_monotonic() - t0;

    if (rc != CURLE_OK) {
        /* a transfer can fail after the status line arrived (a connection
         * closed mid-body): keep that status so the caller can report it */
        resp->status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        kc_headers_clear(resp);
        kc_buf_free(&resp->body);
        if (ctx.oom) {
            resp->errkind = KC_HTTP_EOTHER;
            snprintf(resp->errmsg, sizeof resp->errmsg,
                     "out of memory while reading the response");
        } else {
            kc_http_fail(h, rc, url, resp);
        }
        return KC_EHTTP;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->errkind = KC_HTTP_OK;
    return 0;
}

void kc_http_response_free(kc_http_response *resp)
{
    if (resp == NULL)
        return;
    kc_headers_clear(resp);
    free(resp->headers);
    resp->headers = NULL;
    kc_buf_free(&resp->body);
}
