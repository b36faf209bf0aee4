package iamtest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuccessShape(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := start(t, withClock(clock.Now), WithLifetime(90*time.Minute))

	resp, body := post(t, srv.URL, keyForm("my-key"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.NotEmpty(t, resp.Header.Get("Transaction-Id"))

	got := decodeJSON(t, body)
	wantKeys := []string{"access_token", "refresh_token", "token_type", "expires_in",
		"expiration", "scope", "ims_user_id"}
	assert.ElementsMatch(t, wantKeys, slices.Collect(maps.Keys(got)))
	assert.Equal(t, "not_supported", got["refresh_token"])
	assert.Equal(t, "Bearer", got["token_type"])
	assert.Equal(t, json.Number("5400"), got["expires_in"])
	assert.Equal(t, json.Number("1714570200"), got["expiration"]) // 13:30 UTC
	assert.Equal(t, "ibm openid", got["scope"])
	userID, ok := got["ims_user_id"].(json.Number)
	require.True(t, ok, "ims_user_id = %#v", got["ims_user_id"])
	_, err := userID.Int64()
	assert.NoError(t, err, "ims_user_id is not an integer")
	token, ok := got["access_token"].(string)
	require.True(t, ok)
	assert.True(t, srv.Valid(token))
}

func TestTokenIsJWTShaped(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := start(t, withClock(clock.Now), WithLifetime(20*time.Minute))

	header, claims, sig := jwtParts(t, fetch(t, srv, "my-key").AccessToken)
	h := decodeJSON(t, header)
	assert.Equal(t, "RS256", h["alg"])
	assert.Equal(t, "JWT", h["typ"])
	assert.NotEmpty(t, h["kid"])
	assert.Len(t, sig, 256)

	c := decodeJSON(t, claims)
	iat, err := c["iat"].(json.Number).Int64()
	require.NoError(t, err)
	exp, err := c["exp"].(json.Number).Int64()
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Unix(), iat)
	assert.Equal(t, int64(20*60), exp-iat)
	assert.Equal(t, "https://iam.cloud.ibm.com/identity", c["iss"])
	assert.Equal(t, "urn:ibm:params:oauth:grant-type:apikey", c["grant_type"])
	assert.NotEmpty(t, c["jti"])
	assert.NotEmpty(t, c["sub"])
	assert.Equal(t, "iam-"+c["sub"].(string), c["iam_id"])
	assert.NotContains(t, string(claims), "my-key")
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	srv := start(t, WithAPIKeys("good-key"))
	good := keyForm("good-key").Encode()
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"GET", http.MethodGet, tokenPath, formType, good, 405, "BXNIM9405E", ""},
		{"PUT", http.MethodPut, tokenPath, formType, good, 405, "BXNIM9405E", ""},
		{"other path", http.MethodPost, "/identity/tokens", formType, good, 404, "BXNIM9404E", ""},
		{"root path", http.MethodPost, "/", formType, good, 404, "BXNIM9404E", ""},
		{"JSON body", http.MethodPost, tokenPath, "application/json", `{"apikey":"good-key"}`,
			400, CodeBadContentType, ""},
		{"no content type", http.MethodPost, tokenPath, "", good, 400, CodeBadContentType, ""},
		{"no grant type", http.MethodPost, tokenPath, formType, "apikey=good-key",
			400, CodeBadGrantType, ""},
		{"wrong grant type", http.MethodPost, tokenPath, formType,
			"grant_type=refresh_token&apikey=good-key", 400, CodeBadGrantType, ""},
		{"no key", http.MethodPost, tokenPath, formType, "grant_type=" + grantAPIKey,
			400, CodeMissingAPIKey, ""},
		{"empty key", http.MethodPost, tokenPath, formType, keyForm("").Encode(),
			400, CodeMissingAPIKey, ""},
		{"unknown key", http.MethodPost, tokenPath, formType, keyForm("bad-key").Encode(),
			400, "BXNIM0415E", "Provided API key could not be found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, srv.BaseURL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assertIAMError(t, resp, body, tt.wantCode, tt.wantMessage)
		})
	}
}

// assertIAMError checks that resp carries an IAM error body with code, and
// with message unless it is empty.
func assertIAMError(t *testing.T, resp *http.Response, body []byte, code, message string) {
	t.Helper()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	got := decodeJSON(t, body)
	assert.Equal(t, code, got["errorCode"])
	assert.NotEmpty(t, got["errorMessage"])
	if message != "" {
		assert.Equal(t, message, got["errorMessage"])
	}
	ctx, ok := got["context"].(map[string]any)
	require.True(t, ok, "context = %#v", got["context"])
	id := resp.Header.Get("Transaction-Id")
	assert.NotEmpty(t, id)
	assert.Equal(t, id, ctx["requestId"])
	assert.Equal(t, "incoming.Identity_Token", ctx["requestType"])
	assert.NotEmpty(t, ctx["startTime"])
}

func TestWithAPIKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []Option
		key        string
		wantStatus int
	}{
		{"default accepts any key", nil, "anything", 200},
		{"listed key", []Option{WithAPIKeys("a", "b")}, "b", 200},
		{"unlisted key", []Option{WithAPIKeys("a", "b")}, "c", 400},
		{"options add up", []Option{WithAPIKeys("a"), WithAPIKeys("b")}, "a", 200},
		{"no keys rejects all", []Option{WithAPIKeys()}, "a", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, tt.opts...)
			resp, body := post(t, srv.URL, keyForm(tt.key))
			assert.Equal(t, tt.wantStatus, resp.StatusCode, "body: %s", body)
		})
	}
}

func TestLifetime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want int64
	}{
		{"default", nil, 3600},
		{"whole minutes", []Option{WithLifetime(2 * time.Minute)}, 120},
		{"truncated", []Option{WithLifetime(90*time.Second + 900*time.Millisecond)}, 90},
		{"under a second", []Option{WithLifetime(500 * time.Millisecond)}, 1},
		{"zero", []Option{WithLifetime(0)}, 1},
		{"negative", []Option{WithLifetime(-time.Hour)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, tt.opts...)
			assert.Equal(t, tt.want, fetch(t, srv, "k").ExpiresIn)
		})
	}
}

func TestSetLifetime(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := start(t, withClock(clock.Now))
	first := fetch(t, srv, "k")

	srv.SetLifetime(time.Minute)
	second := fetch(t, srv, "k")
	assert.Equal(t, int64(60), second.ExpiresIn)
	assert.Equal(t, clock.Now().Unix()+60, second.Expiration)

	clock.Advance(time.Minute)
	assert.True(t, srv.Valid(first.AccessToken), "token issued before SetLifetime")
	assert.False(t, srv.Valid(second.AccessToken), "token issued after SetLifetime")
}

func TestTokensAreUnique(t *testing.T) {
	t.Parallel()
	srv := start(t)
	seen := make(map[string]bool)
	for range 20 {
		token := fetch(t, srv, "same-key").AccessToken
		assert.False(t, seen[token], "token issued twice: %s", token)
		seen[token] = true
	}
	assert.Equal(t, 20, srv.Issued())
}

func TestValid(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := start(t, withClock(clock.Now), WithLifetime(10*time.Minute))
	other := start(t)
	token := fetch(t, srv, "k").AccessToken
	foreign := fetch(t, other, "k").AccessToken

	assert.True(t, srv.Valid(token))
	assert.False(t, srv.Valid(""))
	assert.False(t, srv.Valid(token+"x"))
	assert.False(t, srv.Valid(foreign), "token from another server")

	clock.Advance(10*time.Minute - time.Second)
	assert.True(t, srv.Valid(token), "a second before expiry")
	clock.Advance(time.Second)
	assert.False(t, srv.Valid(token), "at expiry")
}

func TestConcurrentCounters(t *testing.T) {
	t.Parallel()
	const n, failures = 50, 10
	srv := start(t)
	for range failures {
		srv.Enqueue(Reply{Status: http.StatusServiceUnavailable})
	}

	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := http.PostForm(srv.URL, keyForm("k"))
			if !assert.NoError(t, err) {
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)

	counts := make(map[int]int)
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{200: n - failures, 503: failures}, counts)
	assert.Equal(t, n, srv.Requests())
	assert.Equal(t, n-failures, srv.Issued())
}
