/*
 * retry.c - Retry-After parsing and exponential backoff.
 *
 * Retry-After (RFC 9110 §10.2.3) is delta-seconds or an HTTP-date. All three
 * HTTP-date forms are accepted, as RFC 9110 §5.6.7 requires of recipients:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"  (the one servers send)
 *   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete)
 *   asctime      "Sun Nov  6 08:49:37 1994"       (obsolete)
 * Dates become epoch seconds with days-from-civil arithmetic, never
 * timegm/mktime (TZ- and locale-dependent, not always thread-safe).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kc_core.h"

/* Largest delay returned: huge delta-seconds clamp here instead of
 * overflowing (about 68 years, INT32_MAX seconds). */
#define KC_RETRY_AFTER_MAX 2147483647.0

static const char *const kc_wkday[7] = {
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};
static const char *const kc_weekday[7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday"
};
static const char *const kc_month[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* A cursor over [p, end). */
typedef struct kc_cur {
    const char *p;
    const char *end;
} kc_cur;

/* Consumes the literal `lit` (case-sensitive, as HTTP-date is). */
static int kc_lit(kc_cur *c, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* Consumes one of the `n` names in `names`; stores its index. */
static int kc_name(kc_cur *c, const char *const *names, int n, int *idx)
{
    int i;

    for (i = 0; i < n; i++) {
        if (kc_lit(c, names[i])) {
            *idx = i;
            return 1;
        }
    }
    return 0;
}

/* Consumes exactly `n` decimal digits. */
static int kc_digits(kc_cur *c, int n, int *val)
{
    int v = 0;

    if (c->end - c->p < n)
        return 0;
    while (n-- > 0) {
        if (*c->p < '0' || *c->p > '9')
            return 0;
        v = v * 10 + (*c->p++ - '0');
    }
    *val = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil); m is 1-12. */
static int64_t kc_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The Gregorian year containing `days` since the epoch (the year part of
 * Hinnant's civil_from_days). */
static int64_t kc_year_from_days(int64_t days)
{
    int64_t z = days + 719468, era, doe, yoe, doy, mp;

    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

static int kc_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Checks the fields and converts them to epoch seconds. */
static int kc_make_epoch(int y, int mon, int d, int h, int mi, int s,
                         double *epoch)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int dim;

    if (mon < 0 || mon > 11)
        return 0;
    dim = mdays[mon] + (mon == 1 && kc_leap(y));
    /* seconds may be 60 (a leap second) */
    if (d < 1 || d > dim || h > 23 || mi > 59 || s > 60)
        return 0;
    *epoch = (double)kc_days_from_civil(y, mon + 1, d) * 86400.0
        + h * 3600.0 + mi * 60.0 + s;
    return 1;
}

/* "HH:MM:SS" */
static int kc_time(kc_cur *c, int *h, int *mi, int *s)
{
    return kc_digits(c, 2, h) && kc_lit(c, ":") && kc_digits(c, 2, mi)
        && kc_lit(c, ":") && kc_digits(c, 2, s);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static int kc_imf_fixdate(kc_cur c, double *epoch)
{
    int wd, d, mon, y, h, mi, s;

    if (!(kc_name(&c, kc_wkday, 7, &wd) && kc_lit(&c, ", ")
          && kc_digits(&c, 2, &d) && kc_lit(&c, " ")
          && kc_name(&c, kc_month, 12, &mon) && kc_lit(&c, " ")
          && kc_digits(&c, 4, &y) && kc_lit(&c, " ")
          && kc_time(&c, &h, &mi, &s) && kc_lit(&c, " GMT") && c.p == c.end))
        return 0;
    return kc_make_epoch(y, mon, d, h, mi, s, epoch);
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT". The two-digit year is the
 * one nearest to now that is not more than 50 years in the future. */
static int kc_rfc850_date(kc_cur c, double now_epoch, double *epoch)
{
    int wd, d, mon, yy, h, mi, s;
    int64_t cur, y;

    if (!(kc_name(&c, kc_weekday, 7, &wd) && kc_lit(&c, ", ")
          && kc_digits(&c, 2, &d) && kc_lit(&c, "-")
          && kc_name(&c, kc_month, 12, &mon) && kc_lit(&c, "-")
          && kc_digits(&c, 2, &yy) && kc_lit(&c, " ")
          && kc_time(&c, &h, &mi, &s) && kc_lit(&c, " GMT") && c.p == c.end))
        return 0;
    if (!(fabs(now_epoch) < 1e15)) /* NaN, inf or absurd: no reference year */
        return 0;
    cur = kc_year_from_days((int64_t)floor(now_epoch / 86400.0));
    y = cur - cur % 100 + yy;
    if (y > cur + 50)
        y -= 100;
    else if (y + 100 <= cur + 50)
        y += 100;
    if (y < 0 || y > 9999)
        return 0;
    return kc_make_epoch((int)y, mon, d, h, mi, s, epoch);
}

/* asctime-date: "Sun Nov  6 08:49:37 1994" (day is " 6" or "16"). */
static int kc_asctime_date(kc_cur c, double *epoch)
{
    int wd, d, mon, y, h, mi, s;

    if (!(kc_name(&c, kc_wkday, 7, &wd) && kc_lit(&c, " ")
          && kc_name(&c, kc_month, 12, &mon) && kc_lit(&c, " ")))
        return 0;
    if (c.p < c.end && *c.p == ' ') {
        c.p++;
        if (!kc_digits(&c, 1, &d))
            return 0;
    } else if (!kc_digits(&c, 2, &d)) {
        return 0;
    }
    if (!(kc_lit(&c, " ") && kc_time(&c, &h, &mi, &s) && kc_lit(&c, " ")
          && kc_digits(&c, 4, &y) && c.p == c.end))
        return 0;
    return kc_make_epoch(y, mon, d, h, mi, s, epoch);
}

double kc_retry_after(const char *value, double now_epoch)
{
    const char *p, *end;
    double epoch, delay;
    kc_cur c;

    if (value == NULL)
        return -1;
    p = value;
    end = value + strlen(value);
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end)
        return -1;

    if (*p >= '0' && *p <= '9') {
        /* delta-seconds: digits only, clamped */
        double v = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            if (v < KC_RETRY_AFTER_MAX)
                v = v * 10 + (*p - '0');
        }
        return v > KC_RETRY_AFTER_MAX ? KC_RETRY_AFTER_MAX : v;
    }

    c.p = p;
    c.end = end;
    if (!kc_imf_fixdate(c, &epoch) && !kc_rfc850_date(c, now_epoch, &epoch)
        && !kc_asctime_date(c, &epoch))
        return -1;
    delay = epoch - now_epoch;
    if (isnan(delay))
        return -1;
    if (delay < 0)
        return 0;
    return delay > KC_RETRY_AFTER_MAX ? KC_RETRY_AFTER_MAX : delay;
}

/* A uniform fraction in [0, 1) from a per-call seed: the monotonic clock's
 * bits and a stack address, mixed by splitmix64 and one xorshift64* step.
 * No shared state, so it is thread-safe; it is not cryptographic (it only
 * spreads retries apart). */
static double kc_rand01(void)
{
    double t = kc_monotonic();
    uint64_t x, z;

    memcpy(&x, &t, sizeof x);
    x ^= (uint64_t)(uintptr_t)&t;
    z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    if (z == 0)
        z = 0x2545F4914F6CDD1DULL;
    z ^= z >> 12;
    z ^= z << 25;
    z ^= z >> 27;
    z *= 0x2545F4914F6CDD1DULL;
    return (double)(z >> 11) / 9007199254740992.0; /* / 2^53 */
}

/* base * 2^(attempt-1) capped at cap, minus up to `jitter` of itself.
 * attempt < 1 counts as 1; base <= 0 (or NaN) gives 0; a NaN cap means no
 * cap and a negative cap gives 0; jitter is clamped to [0, 1], NaN is 0. */
double kc_backoff(int attempt, double base, double cap, double jitter)
{
    double d;

    if (attempt < 1)
        attempt = 1;
    if (!(base > 0))
        return 0;
    /* ldexp saturates to +inf instead of overflowing */
    d = ldexp(base, attempt - 1 > 2100 ? 2100 : attempt - 1);
    if (d > DBL_MAX)
        d = DBL_MAX; /* keep jitter arithmetic finite when uncapped */
    if (!isnan(cap)) {
        if (cap < 0)
            cap = 0;
        if (d > cap)
            d = cap;
    }
    if (jitter > 0) {
        if (jitter > 1)
            jitter = 1;
        d -= d * jitter * kc_rand01();
    }
    return d;
}
