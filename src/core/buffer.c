/*
 * buffer.c - the growable byte buffer (kc_buf_*).
 *
 * After any successful add the buffer owns an allocation and data[len] is
 * '\0', so data can be handed to C string functions (it may also contain
 * embedded NUL bytes; len is authoritative). A freshly initialised or freed
 * buffer has data == NULL. Every add is all-or-nothing: on failure the
 * buffer is left exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_core.h"

#define KC_BUF_MINCAP 64

/* Makes room for `extra` more bytes plus the terminating NUL. */
static int kc_buf_reserve(kc_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - 1 - b->len)
        return KC_ENOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return KC_OK;
    cap = b->cap ? b->cap : KC_BUF_MINCAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL)
        return KC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return KC_OK;
}

void kc_buf_init(kc_buf *b)
{
    if (b == NULL)
        return;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Appends n bytes of s. s may point into the buffer itself. */
int kc_buf_add(kc_buf *b, const char *s, size_t n)
{
    int rc;
    int inside = 0;
    size_t off = 0;

    if (b == NULL || (s == NULL && n > 0))
        return KC_EINVAL;
    /* Self-append: remember the offset, realloc may move the data. */
    if (s != NULL && b->data != NULL && (uintptr_t)s >= (uintptr_t)b->data
        && (uintptr_t)s < (uintptr_t)b->data + b->cap) {
        inside = 1;
        off = (size_t)((uintptr_t)s - (uintptr_t)b->data);
    }
    rc = kc_buf_reserve(b, n);
    if (rc != KC_OK)
        return rc;
    if (inside)
        s = b->data + off;
    if (n > 0)
        memmove(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return KC_OK;
}

int kc_buf_addc(kc_buf *b, char c)
{
    return kc_buf_add(b, &c, 1);
}

int kc_buf_adds(kc_buf *b, const char *s)
{
    if (s == NULL)
        return KC_EINVAL;
    return kc_buf_add(b, s, strlen(s));
}

void kc_buf_free(kc_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    kc_buf_init(b);
}
