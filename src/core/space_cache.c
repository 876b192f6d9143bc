/*
 * space_cache.c - the TTL cache of space-validation answers
 * (id -> exists/missing), shared by a client and its scoped clients.
 *
 * A chained hash table keyed by the id bytes (any length, copied). Each
 * entry records when it was stored; it is fresh while
 * now - stored_at < ttl-for-its-state, so set_ttl applies to existing
 * entries at once. Expired entries are removed when looked up, and swept
 * before the table grows and after set_ttl. Not thread-safe: one cache
 * belongs to one Lua state (or the caller serialises access).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_core.h"

#define KC_SC_MINBUCKETS 16

typedef struct kc_sc_entry {
    struct kc_sc_entry *next;
    uint64_t hash;
    double stored_at;
    kc_space_state state;
    size_t len;
    char key[]; /* len bytes plus a NUL */
} kc_sc_entry;

struct kc_space_cache {
    kc_sc_entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;    /* entries stored, fresh or not yet swept */
    double ttl;
    double missing_ttl;
    double (*now)(void);
    uint64_t hits;
    uint64_t misses;
};

/* FNV-1a, 64 bit. */
static uint64_t kc_sc_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The TTL that applies to an entry in `state`. */
static double kc_sc_ttl(const kc_space_cache *c, kc_space_state state)
{
    return state == KC_SPACE_EXISTS ? c->ttl : c->missing_ttl;
}

/* Whether entry e is still fresh at time `now`. */
static int kc_sc_fresh(const kc_space_cache *c, const kc_sc_entry *e,
                       double now)
{
    double ttl = kc_sc_ttl(c, e->state);

    return ttl > 0 && now - e->stored_at < ttl;
}

/* Finds the link pointing at the entry for id (or at the NULL ending its
 * chain), so callers can both read and unlink. */
static kc_sc_entry **kc_sc_find(kc_space_cache *c, const char *id, size_t len,
                                uint64_t h)
{
    kc_sc_entry **link = &c->buckets[h & (c->nbuckets - 1)];

    while (*link != NULL) {
        kc_sc_entry *e = *link;
        if (e->hash == h && e->len == len
            && (len == 0 || memcmp(e->key, id, len) == 0))
            return link;
        link = &e->next;
    }
    return link;
}

/* Unlinks and frees the entry *link points at. */
static void kc_sc_unlink(kc_space_cache *c, kc_sc_entry **link)
{
    kc_sc_entry *e = *link;

    *link = e->next;
    free(e);
    c->count--;
}

/* Removes every entry that is no longer fresh. */
static void kc_sc_sweep(kc_space_cache *c)
{
    double now = c->now();
    size_t i;

    for (i = 0; i < c->nbuckets; i++) {
        kc_sc_entry **link = &c->buckets[i];
        while (*link != NULL) {
            if (kc_sc_fresh(c, *link, now))
                link = &(*link)->next;
            else
                kc_sc_unlink(c, link);
        }
    }
}

/* Doubles the bucket array when the load factor passes 3/4 (after sweeping
 * expired entries). Failing to grow is not an error: chains just get
 * longer. */
static void kc_sc_maybe_grow(kc_space_cache *c)
{
    kc_sc_entry **nb;
    size_t i, n;

    if (c->count + 1 <= c->nbuckets / 4 * 3)
        return;
    kc_sc_sweep(c);
    if (c->count + 1 <= c->nbuckets / 4 * 3)
        return;
    if (c->nbuckets > SIZE_MAX / 2 / sizeof *nb)
        return;
    n = c->nbuckets * 2;
    nb = calloc(n, sizeof *nb);
    if (nb == NULL)
        return;
    for (i = 0; i < c->nbuckets; i++) {
        kc_sc_entry *e = c->buckets[i];
        while (e != NULL) {
            kc_sc_entry *next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

kc_space_cache *kc_space_cache_new(double ttl, double missing_ttl,
                                   double (*now)(void))
{
    kc_space_cache *c;

    if (isnan(ttl) || isnan(missing_ttl))
        return NULL;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->buckets = calloc(KC_SC_MINBUCKETS, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->nbuckets = KC_SC_MINBUCKETS;
    c->ttl = ttl;
    c->missing_ttl = missing_ttl;
    c->now = now != NULL ? now : kc_monotonic;
    return c;
}

void kc_space_cache_free(kc_space_cache *c)
{
    if (c == NULL)
        return;
    kc_space_cache_clear(c);
    free(c->buckets);
    free(c);
}

/* A fresh entry is a hit (whatever its state); an absent or expired one is
 * a miss, and the expired entry is dropped. */
kc_space_state kc_space_cache_get(kc_space_cache *c, const char *id,
                                  size_t len)
{
    kc_sc_entry **link;

    if (c == NULL || (id == NULL && len > 0))
        return KC_SPACE_UNKNOWN;
    link = kc_sc_find(c, id, len, kc_sc_hash(id, len));
    if (*link != NULL) {
        if (kc_sc_fresh(c, *link, c->now())) {
            c->hits++;
            return (*link)->state;
        }
        kc_sc_unlink(c, link);
    }
    c->misses++;
    return KC_SPACE_UNKNOWN;
}

/* Stores (or refreshes) an answer. When the TTL for that state is <= 0 the
 * answer is not cached, and any older answer for the id is dropped since it
 * is superseded. */
int kc_space_cache_put(kc_space_cache *c, const char *id, size_t len,
                       kc_space_state state)
{
    kc_sc_entry **link, *e;
    uint64_t h;

    if (c == NULL || (id == NULL && len > 0))
        return KC_EINVAL;
    if (state != KC_SPACE_EXISTS && state != KC_SPACE_MISSING)
        return KC_EINVAL;
    h = kc_sc_hash(id, len);
    link = kc_sc_find(c, id, len, h);
    if (!(kc_sc_ttl(c, state) > 0)) {
        if (*link != NULL)
            kc_sc_unlink(c, link);
        return KC_OK;
    }
    if (*link != NULL) {
        (*link)->state = state;
        (*link)->stored_at = c->now();
        return KC_OK;
    }
    if (len > SIZE_MAX - sizeof *e - 1)
        return KC_ENOMEM;
    e = malloc(sizeof *e + len + 1);
    if (e == NULL)
        return KC_ENOMEM;
    if (len > 0)
        memcpy(e->key, id, len);
    e->key[len] = '\0';
    e->len = len;
    e->hash = h;
    e->state = state;
    e->stored_at = c->now();
    kc_sc_maybe_grow(c); /* may rehash: insert after it */
    e->next = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = e;
    c->count++;
    return KC_OK;
}

void kc_space_cache_invalidate(kc_space_cache *c, const char *id, size_t len)
{
    kc_sc_entry **link;

    if (c == NULL || (id == NULL && len > 0))
        return;
    link = kc_sc_find(c, id, len, kc_sc_hash(id, len));
    if (*link != NULL)
        kc_sc_unlink(c, link);
}

/* Drops every entry; the hit/miss counters are kept. */
void kc_space_cache_clear(kc_space_cache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nbuckets; i++) {
        while (c->buckets[i] != NULL)
            kc_sc_unlink(c, &c->buckets[i]);
    }
}

/* size counts only entries that are fresh right now. */
void kc_space_cache_stats_get(const kc_space_cache *c,
                              kc_space_cache_stats *out)
{
    double now;
    size_t i, live = 0;

    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (c == NULL)
        return;
    now = c->now();
    for (i = 0; i < c->nbuckets; i++) {
        const kc_sc_entry *e;
        for (e = c->buckets[i]; e != NULL; e = e->next)
            live += (size_t)kc_sc_fresh(c, e, now);
    }
    out->hits = c->hits;
    out->misses = c->misses;
    out->lookups = c->hits + c->misses;
    out->size = live;
}

/* New TTLs apply to entries already stored (freshness is computed from the
 * time each entry was stored); entries that are now stale are swept. */
int kc_space_cache_set_ttl(kc_space_cache *c, double ttl, double missing_ttl)
{
    if (c == NULL || isnan(ttl) || isnan(missing_ttl))
        return KC_EINVAL;
    c->ttl = ttl;
    c->missing_ttl = missing_ttl;
    kc_sc_sweep(c);
    return KC_OK;
}
