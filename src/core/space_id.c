/*
 * space_id.c - Kibana's space-id rule (^[a-z0-9_-]+$ over the whole string)
 * and the default-space test.
 *
 * Ids are byte strings with an explicit length, so an embedded NUL is seen
 * (and rejected) instead of silently ending the id. Error messages quote the
 * id with control and non-ASCII bytes escaped (\n, \t, \r, \0, \\, \',
 * \xHH) so a message is always one printable ASCII line.
 */
#include <stdio.h>
#include <string.h>

#include "kc_core.h"

/* At most this many characters of the (escaped) id are quoted in a message,
 * so that the character and position still fit in KC_ERRLEN. */
#define KC_ID_SHOW 80

int kc_space_is_default(const char *id, size_t len)
{
    if (id == NULL)
        return 1;
    return len == 7 && memcmp(id, "default", 7) == 0;
}

/* Whether byte c is allowed in a space id. */
static int kc_space_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
        || c == '-';
}

/* Writes the escaped form of byte c (1 to 4 characters plus NUL) to out. */
static void kc_escape_byte(unsigned char c, char out[5])
{
    switch (c) {
    case '\n': strcpy(out, "\\n"); return;
    case '\r': strcpy(out, "\\r"); return;
    case '\t': strcpy(out, "\\t"); return;
    case '\0': strcpy(out, "\\0"); return;
    case '\\': strcpy(out, "\\\\"); return;
    case '\'': strcpy(out, "\\'"); return;
    default: break;
    }
    if (c < 0x20 || c >= 0x7f) {
        snprintf(out, 5, "\\x%02X", (unsigned)c);
    } else {
        out[0] = (char)c;
        out[1] = '\0';
    }
}

/* Escapes s[0..len) into dst (size dstlen > KC_ID_SHOW + 4). Stops after
 * KC_ID_SHOW output characters and appends "..." when the id was cut. */
static void kc_escape_id(char *dst, size_t dstlen, const char *s, size_t len)
{
    size_t i, o = 0;
    char e[5];

    for (i = 0; i < len; i++) {
        size_t el;
        kc_escape_byte((unsigned char)s[i], e);
        el = strlen(e);
        if (o + el > KC_ID_SHOW || o + el + 4 > dstlen) {
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(dst + o, e, el);
        o += el;
    }
    dst[o] = '\0';
}

int kc_space_id_valid(const char *id, size_t len, char *err, size_t errlen)
{
    size_t i;
    char shown[KC_ID_SHOW + 8];
    char bad[5];

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (id == NULL || len == 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "space id must not be empty");
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!kc_space_char_ok((unsigned char)id[i]))
            break;
    }
    if (i == len)
        return 1;
    if (err != NULL && errlen > 0) {
        kc_escape_id(shown, sizeof shown, id, len);
        kc_escape_byte((unsigned char)id[i], bad);
        snprintf(err, errlen,
                 "space id '%s' is invalid: character '%s' at position %zu "
                 "is not allowed (use a-z, 0-9, '_' and '-')",
                 shown, bad, i + 1);
    }
    return 0;
}
