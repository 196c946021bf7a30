package httpx

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps a Retry-After: a day, past which the header is more
// likely a bug than a plan.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header (RFC 9110 10.2.3): a number of
// seconds, or an HTTP date counted from now. It returns zero if the header
// is absent, invalid, or not in the future, and at most a day.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
