package tokenmanager

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secretToken = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl"

// assertNoSecret checks every rendering of s for the key and the token.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testKey, url.QueryEscape(testKey), secretToken} {
		assert.NotContains(t, s, secret, "%s shows a secret", what)
	}
}

func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f, WithLogger(logger))

	replies := []func(w http.ResponseWriter, r *http.Request){
		// A body holding the token that still fails to parse.
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":"soon"}`, secretToken)
		},
		// An error reply that echoes the posted form, key included.
		func(w http.ResponseWriter, r *http.Request) {
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(r.Body)
			writeIAMError(w, 400, "BXNIM0415E", "bad form: "+body.String()+
				" key="+testKey)
		},
		// A success, then the token it gave is echoed in an error.
		func(w http.ResponseWriter, r *http.Request) { writeToken(w, secretToken, 3600) },
		func(w http.ResponseWriter, r *http.Request) {
			writeIAMError(w, 401, testKey, testKey+" "+secretToken)
		},
	}
	var errs []error
	for _, reply := range replies {
		f.Config.Handler = http.HandlerFunc(reply)
		clock.advance(cooldownCap) // past any cooldown
		m.Invalidate(secretToken)
		_, err := m.Token(bg)
		errs = append(errs, err)
	}
	f.Close() // a closed server
	clock.advance(cooldownCap)
	m.Invalidate(secretToken)
	_, err := m.Token(bg)
	errs = append(errs, err)

	require.NoError(t, errs[2])
	for i, err := range append(errs[:2], errs[3:]...) {
		require.Error(t, err, "reply %d", i)
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			assertNoSecret(t, "error "+verb, fmt.Sprintf(verb, err))
		}
	}
	assert.NotEmpty(t, logs.String())
	assertNoSecret(t, "log", logs.String())
	assertNoSecret(t, "Manager", fmt.Sprintf("%v %+v %#v %s", m, m, m, m))
}

func TestFormattedManagerHidesSecrets(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) { writeToken(w, secretToken, 3600) })
	m := newTestManager(t, f)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	require.Equal(t, secretToken, tok)

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q", "%T %p"} {
		s := fmt.Sprintf(verb, m)
		assertNoSecret(t, "Manager "+verb, s)
		if !strings.Contains(verb, "%T") {
			assert.Contains(t, s, "token expires", verb)
		}
	}
	assert.Contains(t, m.String(), f.URL)
}

func TestIAMErrorRedactsEscapedKey(t *testing.T) {
	t.Parallel()
	key := "key+with/odd=chars"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		writeIAMError(w, 400, "BXNIM0415E", "echo: "+body.String()+" raw: "+key)
	}))
	defer srv.Close()
	m, err := New(key, WithAuthURL(srv.URL))
	require.NoError(t, err)
	defer m.Close()

	_, err = m.Token(bg)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), key)
	assert.NotContains(t, err.Error(), url.QueryEscape(key))
	assert.Contains(t, err.Error(), "[redacted]")
}

func TestKeyAtTheCutIsRedactedWhole(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		// The key straddles the point where messages are shortened.
		writeIAMError(w, 400, "BXNIM0415E", strings.Repeat("x", 240)+testKey)
	})
	m := newTestManager(t, f)
	_, err := m.Token(bg)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testKey[:12], "no part of the key may remain")
}

func TestStringHidesURLPassword(t *testing.T) {
	t.Parallel()
	m, err := New(testKey, WithAuthURL("https://user:hunter2@iam.example.com"))
	require.NoError(t, err)
	defer m.Close()
	assert.NotContains(t, m.String(), "hunter2")
	assert.Contains(t, m.String(), "iam.example.com")
}

func TestShortKeyDoesNotMangleOwnWords(t *testing.T) {
	t.Parallel()
	other := newFakeIAM(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusFound)
	}))
	defer srv.Close()
	m, err := New("k", WithAuthURL(srv.URL))
	require.NoError(t, err)
	defer m.Close()

	_, err = m.Token(bg)
	assert.Contains(t, err.Error(), "the API key is never sent to another address")
}
