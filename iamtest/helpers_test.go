package iamtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start starts a server that is closed when the test ends.
func start(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// keyForm is the form a client sends to exchange key for a token.
func keyForm(key string) url.Values {
	return url.Values{
		"grant_type":    {grantAPIKey},
		"apikey":        {key},
		"response_type": {"cloud_iam"},
	}
}

// post sends form to target and returns the response with its body read.
func post(t *testing.T, target string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.PostForm(target, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// fetch exchanges key for a token, requiring success.
func fetch(t *testing.T, srv *Server, key string) tokenBody {
	t.Helper()
	resp, body := post(t, srv.URL, keyForm(key))
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", body)
	var tb tokenBody
	require.NoError(t, json.Unmarshal(body, &tb))
	return tb
}

// decodeJSON decodes b into a generic map, keeping numbers exact.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m), "body: %s", b)
	return m
}

// jwtParts splits a JWT into its three decoded segments.
func jwtParts(t *testing.T, token string) (header, claims, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	var decoded [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		require.NoError(t, err, "segment %d", i)
		decoded[i] = b
	}
	return decoded[0], decoded[1], decoded[2]
}
