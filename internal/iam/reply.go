package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// MaxReplySize is the most of any reply that is read.
	MaxReplySize = 1 << 20

	// MaxLifetime caps a token's lifetime, whatever IAM says.
	MaxLifetime = 24 * time.Hour

	// maxText caps each text field copied from an error reply.
	maxText = 256
)

// ErrInvalidResponse reports a reply that is not a usable token: not JSON,
// cut off, or missing or malformed fields. Wrapping errors name the field.
var ErrInvalidResponse = errors.New("tokenmanager: invalid IAM response")

// Reply is a successful token reply.
type Reply struct {
	AccessToken string
	Lifetime    time.Duration // from expires_in, capped at MaxLifetime
	Expiration  time.Time     // from expiration; zero when absent or unusable
}

// ErrorReply is an error status from IAM (or a redirect, which is refused).
// Its text fields are as IAM sent them: the caller must redact anything
// secret from them, then pass them through Clean.
type ErrorReply struct {
	Status     int
	Code       string
	Message    string
	RequestID  string
	RetryAfter time.Duration
}

func (e *ErrorReply) Error() string {
	return fmt.Sprintf("iam: status %d %s: %s", e.Status, e.Code, e.Message)
}

// Parse reads a token reply. tooLong says the body was cut at MaxReplySize.
// It returns an *ErrorReply for any status outside 2xx, and an error
// wrapping ErrInvalidResponse for a 2xx reply that holds no usable token.
// now dates a Retry-After header given as an HTTP date.
func Parse(status int, header http.Header, body []byte, tooLong bool,
	now time.Time) (Reply, error) {
	if status < 200 || status > 299 {
		return Reply{}, parseError(status, header, body, now)
	}
	if tooLong {
		return Reply{}, invalid("reply is larger than 1 MiB")
	}
	return parseSuccess(body)
}

// successBody holds the fields of a success reply before they are checked.
// IAM may send numbers as JSON strings, so every field stays raw here.
type successBody struct {
	AccessToken json.RawMessage `json:"access_token"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Expiration  json.RawMessage `json:"expiration"`
}

func parseSuccess(body []byte) (Reply, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Reply{}, invalid("reply is not a JSON object")
	}
	var raw successBody
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return Reply{}, invalid("reply is malformed or cut-off JSON")
	}

	token, err := accessToken(raw.AccessToken)
	if err != nil {
		return Reply{}, err
	}
	lifetime, err := lifetime(raw.ExpiresIn)
	if err != nil {
		return Reply{}, err
	}
	return Reply{
		AccessToken: token,
		Lifetime:    lifetime,
		Expiration:  expiration(raw.Expiration),
	}, nil
}

func accessToken(raw json.RawMessage) (string, error) {
	if isAbsent(raw) {
		return "", invalid("access_token is missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("access_token is not a string")
	}
	if s == "" {
		return "", invalid("access_token is empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return "", invalid("access_token has a character not allowed in a header")
		}
	}
	return s, nil
}

func lifetime(raw json.RawMessage) (time.Duration, error) {
	if isAbsent(raw) {
		return 0, invalid("expires_in is missing")
	}
	secs, ok := seconds(raw)
	if !ok {
		return 0, invalid("expires_in is not a number")
	}
	if secs >= MaxLifetime.Seconds() {
		return MaxLifetime, nil
	}
	d := time.Duration(secs * float64(time.Second))
	if d <= 0 {
		return 0, invalid("expires_in is not positive")
	}
	return d, nil
}

// expiration reads the optional expiration field. Anything unusable is
// ignored, since it serves only as a cross-check of expires_in.
func expiration(raw json.RawMessage) time.Time {
	secs, ok := seconds(raw)
	if !ok || secs <= 0 || secs > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(secs), 0)
}

// seconds reads a JSON number, or a string holding one, as seconds. A value
// too large for a float64 counts as +Inf; NaN and garbage do not parse.
func seconds(raw json.RawMessage) (float64, bool) {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
	}
	if s == "" || strings.IndexFunc(s, notDecimal) >= 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// notDecimal rejects what ParseFloat takes beyond plain decimal notation:
// hexadecimal, underscores, Inf and NaN.
func notDecimal(r rune) bool {
	return !strings.ContainsRune("0123456789+-.eE", r)
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func invalid(detail string) error {
	return fmt.Errorf("%w: %s", ErrInvalidResponse, detail)
}
