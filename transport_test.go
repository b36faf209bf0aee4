package tokenmanager

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI is an API stand-in that records the bearer token and body of
// each call and answers 401 to tokens in reject.
type fakeAPI struct {
	*httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	seen   []string // Authorization headers
	bodies []string
	reject func(auth string) bool
}

func newFakeAPI(t *testing.T, reject func(auth string) bool) *fakeAPI {
	a := &fakeAPI{reject: reject}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		a.mu.Lock()
		a.seen, a.bodies = append(a.seen, auth), append(a.bodies, string(body))
		a.mu.Unlock()
		if a.reject(auth) {
			http.Error(w, "token rejected", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(a.Close)
	return a
}

func never(string) bool { return false }

func send(t *testing.T, client *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestTransportSetsBearerOnACopy(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, never)
	m := newTestManager(t, newFakeIAM(t))
	client := &http.Client{Transport: m.Transport(nil)}

	req, err := http.NewRequest("GET", api.URL, nil)
	require.NoError(t, err)
	req.Header.Set("X-Caller", "kept")
	status, _ := send(t, client, req)
	assert.Equal(t, 200, status)
	assert.Equal(t, []string{"Bearer tok-1"}, api.seen)
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request must not change")
	assert.Equal(t, "kept", req.Header.Get("X-Caller"))
}

func TestTransportReplaysOnceAfter401(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(auth string) bool { return auth == "Bearer tok-1" })
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	client := &http.Client{Transport: m.Transport(nil)}

	req, err := http.NewRequest("POST", api.URL, strings.NewReader(`{"q":1}`))
	require.NoError(t, err)
	status, body := send(t, client, req)
	assert.Equal(t, 200, status)
	assert.Equal(t, "ok", body)
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, api.seen)
	assert.Equal(t, []string{`{"q":1}`, `{"q":1}`}, api.bodies, "the body is replayed")
	assert.Equal(t, 2, f.requests())
}

func TestTransportGivesUpAfterSecond401(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(string) bool { return true })
	m := newTestManager(t, newFakeIAM(t))
	client := &http.Client{Transport: m.Transport(nil)}

	req, err := http.NewRequest("GET", api.URL, nil)
	require.NoError(t, err)
	status, _ := send(t, client, req)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.EqualValues(t, 2, api.calls.Load(), "at most two API calls, never a loop")
}

func TestTransportDoesNotReplayOneShotBody(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(auth string) bool { return auth == "Bearer tok-1" })
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	client := &http.Client{Transport: m.Transport(nil)}

	body := io.NopCloser(strings.NewReader("once")) // no GetBody
	req, err := http.NewRequest("POST", api.URL, body)
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	status, _ := send(t, client, req)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.EqualValues(t, 1, api.calls.Load())
}

func TestTransportConcurrent401sShareOneExchange(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(auth string) bool { return auth == "Bearer tok-1" })
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	client := &http.Client{Transport: m.Transport(nil)}
	_, err := m.Token(bg)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", api.URL, nil)
			resp, err := client.Do(req)
			if assert.NoError(t, err) {
				assert.Equal(t, 200, resp.StatusCode)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 2, f.requests(), "twenty 401s for one token make one exchange")
}

func TestTransportTokenFailure(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		writeIAMError(w, http.StatusBadRequest, "BXNIM0415E", "not found")
	})
	m := newTestManager(t, f)
	api := newFakeAPI(t, never)

	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, err := http.NewRequest("POST", api.URL, body)
	require.NoError(t, err)
	_, err = m.Transport(nil).RoundTrip(req)
	var iamErr *IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, "BXNIM0415E", iamErr.Code)
	assert.True(t, body.closed.Load(), "RoundTrip must close the body")
	assert.Zero(t, api.calls.Load())
}

func TestTransportContextBoundsTokenWait(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) { <-release })
	defer close(release)
	m := newTestManager(t, f)
	api := newFakeAPI(t, never)

	ctx, cancel := context.WithCancel(bg)
	req, err := http.NewRequestWithContext(ctx, "GET", api.URL, nil)
	require.NoError(t, err)
	cancel()
	_, err = (&http.Client{Transport: m.Transport(nil)}).Do(req)
	assert.True(t, errors.Is(err, context.Canceled), "error %v", err)
	assert.Zero(t, api.calls.Load())
}

// nopTransport answers every request with an empty 200 and allocates
// nothing of its own.
type nopTransport struct{ resp http.Response }

func (n *nopTransport) RoundTrip(*http.Request) (*http.Response, error) { return &n.resp, nil }

func TestTransportAllocatesOnlyTheRequestCopy(t *testing.T) {
	m := newTestManager(t, newFakeIAM(t))
	tok, err := m.current(bg)
	require.NoError(t, err)
	rt := m.Transport(&nopTransport{resp: http.Response{StatusCode: 200}})
	req, err := http.NewRequest("GET", "http://127.0.0.1/x", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")

	copyOnly := testing.AllocsPerRun(200, func() { _ = authorized(req, tok) })
	viaTransport := testing.AllocsPerRun(200, func() {
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, copyOnly, viaTransport, "no allocation beyond the request copy")
	assert.LessOrEqual(t, copyOnly, 5.0)
}

type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}
