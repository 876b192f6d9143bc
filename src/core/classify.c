/*
 * classify.c - maps HTTP statuses to error class names and decides which
 * statuses are worth retrying.
 */
#include "kc_core.h"

/* Class name for a status: NULL for 1xx-3xx (not an error), a specific
 * class for the statuses Kibana users handle individually, "ServerError"
 * for 5xx and "ApiError" for any other 4xx. A value outside 100-599 is not
 * a valid HTTP status, so it is reported as the generic "ApiError" rather
 * than silently treated as success. */
const char *kc_classify_status(int status)
{
    if (status >= 100 && status < 400)
        return NULL;
    switch (status) {
    case 400: return "BadRequestError";
    case 401: return "AuthenticationError";
    case 403: return "AuthorizationError";
    case 404: return "NotFoundError";
    case 409: return "ConflictError";
    case 413: return "PayloadTooLargeError";
    case 429: return "TooManyRequestsError";
    default: break;
    }
    if (status >= 500 && status < 600)
        return "ServerError";
    return "ApiError";
}

/* 429 (rate limited) and the gateway/unavailable 5xx are transient; 500 and
 * 501 are not (retrying a bug does not fix it). */
int kc_status_retryable(int status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}
