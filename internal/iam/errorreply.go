package iam

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// errorBody is IAM's error shape:
// {"errorCode":"BXNIM0415E","errorMessage":"…","context":{"requestId":"…"}}.
type errorBody struct {
	Code    string `json:"errorCode"`
	Message string `json:"errorMessage"`
	Context struct {
		RequestID string `json:"requestId"`
	} `json:"context"`
}

// parseError turns an error status into an *ErrorReply. A body that is not
// IAM's JSON (an HTML page from a proxy, say) still yields the status.
func parseError(status int, header http.Header, body []byte, now time.Time) *ErrorReply {
	var b errorBody
	_ = json.Unmarshal(body, &b) // best effort: the status alone is enough
	e := &ErrorReply{
		Status:     status,
		Code:       b.Code,
		Message:    b.Message,
		RequestID:  b.Context.RequestID,
		RetryAfter: retryAfter(header.Get("Retry-After"), now),
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("Transaction-Id")
	}
	return e
}

// retryAfter reads a Retry-After value, in seconds or as an HTTP date.
// Anything unreadable, or in the past, is zero; the wait is capped at
// MaxLifetime so that it cannot overflow.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		secs = min(max(secs, 0), int64(MaxLifetime/time.Second))
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return clamp(at.Sub(now))
}

func clamp(d time.Duration) time.Duration {
	return min(max(d, 0), MaxLifetime)
}

// Clean keeps a reply's text field short and printable, so that an error
// built from it stays one readable line. Redact secrets before calling it:
// shortening could otherwise leave part of one behind.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxText {
		return string(r[:maxText]) + "…"
	}
	return s
}
