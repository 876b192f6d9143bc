/*
 * clock.c - the monotonic clock used for cache TTLs and durations.
 */
#define _POSIX_C_SOURCE 200809L

#include <time.h>

#include "kc_core.h"

/* Seconds from CLOCK_MONOTONIC (immune to wall-clock changes). Returns 0 in
 * the (Linux: impossible) case where the clock cannot be read. */
double kc_monotonic(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
