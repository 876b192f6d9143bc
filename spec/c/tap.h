/*
 * tap.h - a minimal TAP producer for the C unit tests.
 *
 * Each check prints "ok N - description" or "not ok N - description" plus
 * "#"-prefixed diagnostics (where and what differed); tap_done() prints the
 * plan "1..N" and returns the process exit status (non-zero on any failure).
 * The two counters are the test program's only global state.
 */
#ifndef KC_TAP_H
#define KC_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#if defined(__GNUC__)
#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TAP_PRINTF(a, b)
#endif

/* Records one result; returns cond so callers can add diagnostics. */
TAP_PRINTF(4, 5)
static int tap_result(int cond, const char *file, int line,
                      const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        printf("#   failed at %s:%d\n", file, line);
    fflush(stdout);
    return cond;
}

/* Prints a byte string quoted, escaping anything unprintable. */
static void tap_print_bytes(const char *s, size_t len)
{
    size_t i;

    if (s == NULL) {
        printf("NULL");
        return;
    }
    putchar('\'');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            printf("\\x%02X", c);
        else
            putchar(c);
    }
    putchar('\'');
}

static int tap_is_mem(const char *got, size_t glen, const char *exp,
                      size_t elen, const char *file, int line,
                      const char *name)
{
    int cond;

    if (got == NULL || exp == NULL)
        cond = got == exp;
    else
        cond = glen == elen && memcmp(got, exp, glen) == 0;
    if (!tap_result(cond, file, line, "%s", name)) {
        printf("#          got: ");
        tap_print_bytes(got, glen);
        printf("\n#     expected: ");
        tap_print_bytes(exp, elen);
        printf("\n");
    }
    return cond;
}

static int tap_is_str(const char *got, const char *exp, const char *file,
                      int line, const char *name)
{
    return tap_is_mem(got, got ? strlen(got) : 0, exp, exp ? strlen(exp) : 0,
                      file, line, name);
}

static int tap_is_long(long long got, long long exp, const char *file,
                       int line, const char *name)
{
    int cond = got == exp;

    if (!tap_result(cond, file, line, "%s", name))
        printf("#          got: %lld\n#     expected: %lld\n", got, exp);
    return cond;
}

static int tap_is_dbl(double got, double exp, double eps, const char *file,
                      int line, const char *name)
{
    int cond = fabs(got - exp) <= eps || got == exp;

    if (!tap_result(cond, file, line, "%s", name))
        printf("#          got: %.17g\n#     expected: %.17g (+/- %g)\n",
               got, exp, eps);
    return cond;
}

static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failed)
        printf("# %d of %d tests failed\n", tap_failed, tap_count);
    return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, exp, name) \
    tap_is_str((got), (exp), __FILE__, __LINE__, name)
#define is_mem(got, glen, exp, elen, name) \
    tap_is_mem((got), (glen), (exp), (elen), __FILE__, __LINE__, name)
#define is_int(got, exp, name) \
    tap_is_long((long long)(got), (long long)(exp), __FILE__, __LINE__, name)
#define is_dbl(got, exp, eps, name) \
    tap_is_dbl((got), (exp), (eps), __FILE__, __LINE__, name)

#endif
