package tokenmanager

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNewAPIKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want error
	}{
		{"empty", "", ErrMissingAPIKey},
		{"blank", " \t\n", ErrMissingAPIKey},
		{"double quoted", `"abcdef123456"`, ErrInvalidAPIKey},
		{"single quoted", `'abcdef123456'`, ErrInvalidAPIKey},
		{"braced", "{abcdef123456}", ErrInvalidAPIKey},
		{"trailing newline", "abcdef123456\n", ErrInvalidAPIKey},
		{"leading space", " abcdef123456", ErrInvalidAPIKey},
		{"inner control", "abcdef\x00123456", ErrInvalidAPIKey},
		{"fine", "abc-DEF_123456", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.key, WithAuthURL("https://iam.example.com"))
			if tt.want == nil {
				require.NoError(t, err)
				require.NoError(t, m.Close())
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, m)
			if len(tt.key) > 4 {
				assert.NotContains(t, err.Error(), "abcdef")
			}
		})
	}
}

func TestNewAuthURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		opts    []Option
		want    string
		wantErr error
	}{
		{"no path", "https://iam.cloud.ibm.com", nil, DefaultAuthURL, nil},
		{"root path", "https://iam.cloud.ibm.com/", nil, DefaultAuthURL, nil},
		{"full", DefaultAuthURL, nil, DefaultAuthURL, nil},
		{"custom path", "https://iam.example.com/v1/token", nil,
			"https://iam.example.com/v1/token", nil},
		{"http localhost", "http://localhost:8080", nil,
			"http://localhost:8080/identity/token", nil},
		{"http 127.0.0.1", "http://127.0.0.1:1/x", nil, "http://127.0.0.1:1/x", nil},
		{"http ::1", "http://[::1]:9/x", nil, "http://[::1]:9/x", nil},
		{"http remote", "http://iam.example.com", nil, "", ErrInvalidAuthURL},
		{"http remote allowed", "http://iam.example.com", []Option{WithInsecureHTTP()},
			"http://iam.example.com/identity/token", nil},
		{"ftp", "ftp://iam.example.com", nil, "", ErrInvalidAuthURL},
		{"no scheme", "iam.cloud.ibm.com", nil, "", ErrInvalidAuthURL},
		{"no host", "https:///identity/token", nil, "", ErrInvalidAuthURL},
		{"unparsable", "https://iam.example.com/\x7f", nil, "", ErrInvalidAuthURL},
		{"bad port", "https://iam.example.com:port", nil, "", ErrInvalidAuthURL},
		{"empty", "", nil, "", ErrMissingAuthURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New("key-123", append(tt.opts, WithAuthURL(tt.url))...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer m.Close()
			assert.Equal(t, tt.want, m.authURL)
		})
	}
}

func TestNewAuthURLHidesPassword(t *testing.T) {
	_, err := New("key-123", WithAuthURL("http://user:hunter2@iam.example.com"))
	require.ErrorIs(t, err, ErrInvalidAuthURL)
	assert.NotContains(t, err.Error(), "hunter2")
}

// Not parallel: it sets the environment.
func TestNewAuthURLFromEnvironment(t *testing.T) {
	t.Setenv(EnvAuthURL, "https://env.example.com")
	m, err := New("key-123")
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, "https://env.example.com/identity/token", m.authURL)

	m2, err := New("key-123", WithAuthURL("https://option.example.com"))
	require.NoError(t, err)
	defer m2.Close()
	assert.Equal(t, "https://option.example.com/identity/token", m2.authURL,
		"WithAuthURL must win over "+EnvAuthURL)

	require.NoError(t, os.Unsetenv(EnvAuthURL))
	_, err = New("key-123")
	assert.ErrorIs(t, err, ErrMissingAuthURL)
	_, err = New("key-123", WithAuthURL(""))
	assert.ErrorIs(t, err, ErrMissingAuthURL)
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name    string
		opt     Option
		wantErr string
	}{
		{"negative buffer", WithRefreshBuffer(-time.Second), "WithRefreshBuffer"},
		{"slightly negative buffer", WithRefreshBuffer(-1), "WithRefreshBuffer"},
		{"zero buffer", WithRefreshBuffer(0), ""},
		{"zero timeout", WithRequestTimeout(0), "WithRequestTimeout"},
		{"negative timeout", WithRequestTimeout(-1), "WithRequestTimeout"},
		{"nil client", WithHTTPClient(nil), "WithHTTPClient"},
		{"nil logger", WithLogger(nil), ""},
		{"nil option", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New("key-123", WithAuthURL(DefaultAuthURL), tt.opt)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, m.Close())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Regexp(t, "^tokenmanager: ", err.Error())
		})
	}
}

func TestNewMakesNoRequest(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	assert.Zero(t, f.requests())
	assert.True(t, m.Expiry().IsZero())
}

func TestHTTPClientIsCopied(t *testing.T) {
	t.Parallel()
	client := &http.Client{}
	m, err := New("key-123", WithAuthURL(DefaultAuthURL), WithHTTPClient(client))
	require.NoError(t, err)
	defer m.Close()
	assert.Nil(t, client.CheckRedirect, "the caller's client must not be modified")
	assert.NotNil(t, m.client.CheckRedirect)
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	_, err := m.Token(bg)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())

	_, err = m.Token(bg)
	assert.ErrorIs(t, err, ErrClosed)
	assert.True(t, m.Expiry().IsZero())
	assert.Contains(t, m.String(), "closed")
	assert.Equal(t, 1, f.requests())
}

// Not parallel: it replaces the default logger.
func TestSilentWithoutLogger(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		writeIAMError(w, http.StatusInternalServerError, "BXNIM0001E", "broken")
	})
	m := newTestManager(t, f)
	_, err := m.Token(bg)
	require.Error(t, err)
	assert.Empty(t, buf.String())
}

func TestLoggerLogsExchanges(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	f := newFakeIAM(t)
	logged := newTestManager(t, f, WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	_, err := logged.Token(bg)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "exchanged API key for token")

	f.setReply(func(w http.ResponseWriter, _ int64) {
		writeIAMError(w, http.StatusInternalServerError, "BXNIM0001E", "broken")
	})
	logged.Invalidate(fmt.Sprintf("tok-%d", 1))
	_, err = logged.Token(bg)
	var iamErr *IAMError
	require.True(t, errors.As(err, &iamErr))
	assert.Contains(t, buf.String(), "exchange failed")
	assert.Contains(t, buf.String(), "BXNIM0001E")
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	m, err := New("key-123", WithAuthURL(DefaultAuthURL))
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, 10*time.Second, m.timeout)
	assert.Equal(t, time.Minute, m.buffer)
	assert.False(t, m.proactive)
	assert.True(t, m.ownsClient)
}

func TestRealClockKeepsMonotonicReading(t *testing.T) {
	t.Parallel()
	m, err := New("key-123", WithAuthURL(DefaultAuthURL))
	require.NoError(t, err)
	defer m.Close()
	now := m.now()
	assert.Contains(t, now.mono.String(), " m=", "staleness needs the monotonic clock")
	assert.InDelta(t, time.Now().UnixNano(), now.wall, float64(time.Second))
}

func TestTemporary(t *testing.T) {
	for status, want := range map[int]bool{
		400: false, 401: false, 403: false, 404: false, 408: false, 431: false,
		429: true, 500: true, 502: true, 503: true, 504: true, 307: false,
	} {
		e := &IAMError{StatusCode: status}
		assert.Equal(t, want, e.Temporary(), "status %d", status)
	}
}
