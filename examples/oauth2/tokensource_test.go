package oauth2adapter_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/iamtoken/tokenmanager"
	oauth2adapter "github.com/iamtoken/tokenmanager/examples/oauth2"
	"github.com/iamtoken/tokenmanager/iamtest"
)

const apiKey = "oauth2-test-key"

// A fixture is a fake IAM that accepts only apiKey, a stub API that answers
// 200 to bearer tokens the IAM issued and 401 to anything else, and a
// manager for some key.
type fixture struct {
	iam   *iamtest.Server
	api   *httptest.Server
	m     *tokenmanager.Manager
	calls *atomic.Int64 // requests the API received
}

func setup(t *testing.T, key string) fixture {
	t.Helper()
	iam := iamtest.NewServer(iamtest.WithAPIKeys(apiKey))
	t.Cleanup(iam.Close)
	calls := new(atomic.Int64)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !iam.Valid(tok) {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(api.Close)
	m, err := tokenmanager.New(key, tokenmanager.WithAuthURL(iam.URL))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return fixture{iam, api, m, calls}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)
	client := oauth2.NewClient(t.Context(), oauth2adapter.TokenSource(f.m))

	for range 3 {
		resp, err := client.Get(f.api.URL)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "hello", string(body))
	}
	assert.Equal(t, int64(3), f.calls.Load())
	assert.Equal(t, 1, f.iam.Requests())
}

func TestToken(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)

	tok, err := oauth2adapter.TokenSource(f.m).Token()
	require.NoError(t, err)
	assert.True(t, f.iam.Valid(tok.AccessToken))
	assert.Equal(t, "Bearer", tok.Type())
	assert.Equal(t, f.m.Expiry(), tok.Expiry)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second)
	assert.True(t, tok.Valid())
}

func TestRejectedKey(t *testing.T) {
	t.Parallel()
	f := setup(t, "a-wrong-key")
	client := oauth2.NewClient(t.Context(), oauth2adapter.TokenSource(f.m))

	resp, err := client.Get(f.api.URL)
	if resp != nil {
		resp.Body.Close()
	}
	var iamErr *tokenmanager.IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, iamtest.CodeAPIKeyNotFound, iamErr.Code)
	assert.NotContains(t, err.Error(), "a-wrong-key")
	assert.Zero(t, f.calls.Load(), "API called without a token")
}

func TestClosedManager(t *testing.T) {
	t.Parallel()
	f := setup(t, apiKey)
	f.m.Close()

	_, err := oauth2adapter.TokenSource(f.m).Token()
	assert.ErrorIs(t, err, tokenmanager.ErrClosed)
}
