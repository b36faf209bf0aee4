package tokenmanager

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

var (
	// ErrMissingAPIKey is returned by [New] when the API key is empty or blank.
	ErrMissingAPIKey = errors.New("tokenmanager: API key is missing")

	// ErrInvalidAPIKey is returned by [New] when the API key cannot be a real
	// key, for instance when it is wrapped in quotes or ends in a newline.
	// The error never shows the key.
	ErrInvalidAPIKey = errors.New("tokenmanager: API key is malformed")

	// ErrMissingAuthURL is returned by [New] when neither [WithAuthURL] nor
	// the IBM_AUTH_URL environment variable gives the IAM URL.
	ErrMissingAuthURL = errors.New("tokenmanager: IAM URL is missing: " +
		"use WithAuthURL or set " + EnvAuthURL)

	// ErrInvalidAuthURL is returned by [New] when the IAM URL cannot be used:
	// it does not parse, is not http or https, or is plain http to a host
	// that is not loopback (see [WithInsecureHTTP]).
	ErrInvalidAuthURL = errors.New("tokenmanager: IAM URL is invalid")

	// ErrInvalidResponse is returned when IAM answers with a success status
	// but no usable token: a body that is not JSON (an HTML page from a
	// proxy), cut off, or missing a field. The wrapping error names the
	// field; it never holds the body. Nothing is cached.
	ErrInvalidResponse = iam.ErrInvalidResponse

	// ErrClosed is returned by [Manager.Token] once [Manager.Close] was called.
	ErrClosed = errors.New("tokenmanager: manager is closed")
)

// IAMError is an error reply from IAM, or a redirect, which is refused.
// Match it with errors.As. Its text fields come from IAM's reply, shortened
// and with the API key removed should IAM echo it.
type IAMError struct {
	// StatusCode is the HTTP status of the reply.
	StatusCode int

	// Code is IAM's error code, such as "BXNIM0415E"; empty when the
	// reply was not IAM's JSON.
	Code string

	// Message is IAM's errorMessage.
	Message string

	// RequestID identifies the request in IAM's logs: context.requestId
	// of the reply, else its Transaction-Id header.
	RequestID string

	// RetryAfter is the reply's Retry-After, or zero without one.
	RetryAfter time.Duration
}

// Error describes the reply on one line, with the status, code, message and
// request id.
func (e *IAMError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tokenmanager: IAM replied %d %s", e.StatusCode,
		http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	return b.String()
}

// Temporary reports whether a later attempt could succeed: true for 429 Too
// Many Requests and for 5xx statuses.
func (e *IAMError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// jwtLike matches a JSON Web Token, as IAM's access tokens are: its
// base64url header always starts with "eyJ", the encoding of `{"`.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// newIAMError copies an error reply, removing every secret in secrets, and
// anything shaped like a token, from its text fields before shortening
// them.
func newIAMError(r *iam.ErrorReply, secrets ...string) *IAMError {
	redact := func(s string) string {
		for _, secret := range secrets {
			if secret != "" {
				s = strings.ReplaceAll(s, secret, "[redacted]")
			}
		}
		return iam.Clean(jwtLike.ReplaceAllString(s, "[redacted]"))
	}
	e := &IAMError{
		StatusCode: r.Status,
		Code:       redact(r.Code),
		Message:    redact(r.Message),
		RequestID:  redact(r.RequestID),
		RetryAfter: r.RetryAfter,
	}
	if e.StatusCode >= 300 && e.StatusCode <= 399 {
		// Our own words, set after redaction so that no key can mangle them.
		e.Message = "redirect refused: the API key is never sent to another address"
	}
	return e
}
