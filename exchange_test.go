package tokenmanager

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestShape(t *testing.T) {
	t.Parallel()
	var ua, auth string
	f := newFakeIAM(t)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, auth = r.Header.Get("User-Agent"), r.Header.Get("Authorization")
		f.serve(w, r) // checks method, path, headers and form
	})
	m := newTestManager(t, f)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	assert.Equal(t, 1, f.requests())
	assert.Regexp(t, `^tokenmanager/\d+\.\d+\.\d+ `, ua)
	assert.Empty(t, auth)
}

func TestSuccessReplyShapes(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		lifetime time.Duration
	}{
		{"numbers", `{"access_token":"a.b.c","expires_in":3600,"expiration":1900000000}`,
			time.Hour},
		{"numeric strings", `{"access_token":"a.b.c","expires_in":"3600","expiration":"1900000000"}`,
			time.Hour},
		{"fractional", `{"access_token":"a.b.c","expires_in":90.5}`, 90500 * time.Millisecond},
		{"bad expiration ignored", `{"access_token":"a.b.c","expires_in":60,"expiration":"soon"}`,
			time.Minute},
		{"unknown fields ignored", `{"access_token":"a.b.c","expires_in":60,"new":{"x":[1]}}`,
			time.Minute},
		{"over a day capped", `{"access_token":"a.b.c","expires_in":172800}`, 24 * time.Hour},
		{"huge capped", `{"access_token":"a.b.c","expires_in":1e12}`, 24 * time.Hour},
		{"beyond float capped", `{"access_token":"a.b.c","expires_in":1e999}`, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM(t)
			f.setReply(func(w http.ResponseWriter, _ int64) { _, _ = w.Write([]byte(tt.body)) })
			clock := newFakeClock()
			m := newTestManager(t, f, withClock(clock.now))
			tok, err := m.Token(bg)
			require.NoError(t, err)
			assert.Equal(t, "a.b.c", tok)
			want := time.Unix(0, clock.now().wall).Add(tt.lifetime)
			assert.True(t, m.Expiry().Equal(want), "Expiry() = %v, want %v", m.Expiry(), want)
		})
	}
}

func TestInvalidReplies(t *testing.T) {
	html := "<html><body>Proxy error</body></html>"
	tests := []struct {
		name   string
		body   string
		detail string
	}{
		{"html", html, "not a JSON object"},
		{"empty", "", "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"empty object", "{}", "access_token is missing"},
		{"cut off", `{"access_token":"a.b.c","expi`, "cut-off"},
		{"token not string", `{"access_token":42,"expires_in":60}`, "access_token is not a string"},
		{"token empty", `{"access_token":"","expires_in":60}`, "access_token is empty"},
		{"token with newline", `{"access_token":"a\nb","expires_in":60}`, "not allowed"},
		{"lifetime missing", `{"access_token":"a.b.c"}`, "expires_in is missing"},
		{"lifetime null", `{"access_token":"a.b.c","expires_in":null}`, "expires_in is missing"},
		{"lifetime word", `{"access_token":"a.b.c","expires_in":"soon"}`, "expires_in is not a number"},
		{"lifetime hex", `{"access_token":"a.b.c","expires_in":"0x10"}`, "expires_in is not a number"},
		{"lifetime NaN", `{"access_token":"a.b.c","expires_in":"NaN"}`, "expires_in is not a number"},
		{"lifetime Inf", `{"access_token":"a.b.c","expires_in":"Inf"}`, "expires_in is not a number"},
		{"lifetime zero", `{"access_token":"a.b.c","expires_in":0}`, "not positive"},
		{"lifetime negative", `{"access_token":"a.b.c","expires_in":-5}`, "not positive"},
		{"lifetime tiny", `{"access_token":"a.b.c","expires_in":1e-12}`, "not positive"},
		{"lifetime bool", `{"access_token":"a.b.c","expires_in":true}`, "expires_in is not a number"},
		{"too large", `{"access_token":"a.b.c","expires_in":60,"pad":"` +
			strings.Repeat("x", 2<<20) + `"}`, "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM(t)
			f.setReply(func(w http.ResponseWriter, _ int64) { _, _ = w.Write([]byte(tt.body)) })
			m, clock := clockedManager(t, f)

			_, err := m.Token(bg)
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Contains(t, err.Error(), tt.detail)
			assert.Less(t, len(err.Error()), 200)
			assert.NotContains(t, err.Error(), "a.b.c")
			assert.True(t, m.Expiry().IsZero(), "nothing may be cached")
			assert.Equal(t, 1, f.requests(), "a bad reply is not retried")

			clock.advance(cooldownBase) // past the first cooldown
			_, err = m.Token(bg)
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Equal(t, 2, f.requests(), "a failed exchange must not be cached")
		})
	}
}

func TestErrorReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply func(w http.ResponseWriter)
		want  IAMError
		temp  bool
	}{
		{"unknown key", func(w http.ResponseWriter) {
			writeIAMError(w, 400, "BXNIM0415E", "Provided API key could not be found.")
		}, IAMError{StatusCode: 400, Code: "BXNIM0415E",
			Message: "Provided API key could not be found.", RequestID: "req-456"}, false},
		{"forbidden", func(w http.ResponseWriter) {
			writeIAMError(w, 403, "BXNIM0513E", "denied")
		}, IAMError{StatusCode: 403, Code: "BXNIM0513E", Message: "denied",
			RequestID: "req-456"}, false},
		{"throttled", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			writeIAMError(w, 429, "BXNIM0436E", "slow down")
		}, IAMError{StatusCode: 429, Code: "BXNIM0436E", Message: "slow down",
			RequestID: "req-456", RetryAfter: 7 * time.Second}, true},
		{"html 502", func(w http.ResponseWriter) {
			w.Header().Set("Transaction-Id", "txn-9")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>" + strings.Repeat("bad gateway ", 9000) + "</html>"))
		}, IAMError{StatusCode: 502, RequestID: "txn-9"}, true},
		{"no request id in body", func(w http.ResponseWriter) {
			w.Header().Set("Transaction-Id", "txn-7")
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"errorCode":"BXNIM0999E","errorMessage":"down"}`))
		}, IAMError{StatusCode: 503, Code: "BXNIM0999E", Message: "down",
			RequestID: "txn-7"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM(t)
			f.setReply(func(w http.ResponseWriter, _ int64) { tt.reply(w) })
			m := newTestManager(t, f)

			_, err := m.Token(bg)
			var got *IAMError
			require.True(t, errors.As(err, &got), "error %v is not an *IAMError", err)
			assert.Equal(t, tt.want, *got)
			assert.Equal(t, tt.temp, got.Temporary())
			assert.Less(t, len(err.Error()), 2048)
			assert.Regexp(t, `^tokenmanager: IAM replied \d{3} `, err.Error())
			assert.True(t, m.Expiry().IsZero())
		})
	}
}

func TestRedirectsAreRefused(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			other := newFakeIAM(t)
			f := newFakeIAM(t)
			f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/identity/token", status)
			})
			m := newTestManager(t, f)

			_, err := m.Token(bg)
			var got *IAMError
			require.True(t, errors.As(err, &got), "error %v is not an *IAMError", err)
			assert.Equal(t, status, got.StatusCode)
			assert.Contains(t, err.Error(), http.StatusText(status))
			assert.Zero(t, other.requests(), "the redirect target must receive nothing")
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) { <-release })
	defer close(release)
	m := newTestManager(t, f, WithRequestTimeout(50*time.Millisecond))

	start := time.Now()
	_, err := m.Token(bg) // no deadline of its own
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "timed out after 50ms")
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	dead := newFakeIAM(t)
	m := newTestManager(t, dead)
	dead.Close()

	_, err := m.Token(bg)
	require.Error(t, err)
	assert.Regexp(t, "^tokenmanager: request token: ", err.Error())
	assert.NotContains(t, err.Error(), testKey)
}
