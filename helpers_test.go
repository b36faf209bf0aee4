package tokenmanager

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testKey = "test-api-key-0123456789abcdef"

// fakeIAM is an IAM stand-in that checks every request the way IAM would
// and counts them. reply decides each answer; by default it issues a
// token named tok-N with a one-hour lifetime.
type fakeIAM struct {
	*httptest.Server
	t     testing.TB
	hits  atomic.Int64
	mu    sync.Mutex
	reply func(w http.ResponseWriter, n int64)
}

func newFakeIAM(t testing.TB) *fakeIAM {
	f := &fakeIAM{t: t, reply: func(w http.ResponseWriter, n int64) {
		writeToken(w, fmt.Sprintf("tok-%d", n), 3600)
	}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIAM) serve(w http.ResponseWriter, r *http.Request) {
	n := f.hits.Add(1)
	if err := checkTokenRequest(r); err != nil {
		f.t.Errorf("IAM request %d: %v", n, err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	reply := f.reply
	f.mu.Unlock()
	reply(w, n)
}

// setReply changes how later requests are answered.
func (f *fakeIAM) setReply(reply func(w http.ResponseWriter, n int64)) {
	f.mu.Lock()
	f.reply = reply
	f.mu.Unlock()
}

func (f *fakeIAM) requests() int { return int(f.hits.Load()) }

func checkTokenRequest(r *http.Request) error {
	switch {
	case r.Method != http.MethodPost:
		return fmt.Errorf("method %s, want POST", r.Method)
	case r.URL.Path != "/identity/token":
		return fmt.Errorf("path %q, want /identity/token", r.URL.Path)
	case r.URL.RawQuery != "":
		return fmt.Errorf("query %q, want none", r.URL.RawQuery)
	case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
		return fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
	case r.Header.Get("Accept") != "application/json":
		return fmt.Errorf("accept %q", r.Header.Get("Accept"))
	}
	for name, values := range r.Header {
		for _, v := range values {
			if strings.Contains(v, testKey) {
				return fmt.Errorf("header %s carries the API key", name)
			}
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	want := "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=" +
		url.QueryEscape(testKey)
	if string(body) != want {
		return fmt.Errorf("body %q, want %q", body, want)
	}
	return nil
}

// writeToken answers in IAM's success shape.
func writeToken(w http.ResponseWriter, tok string, expiresIn int64) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"refresh_token":"not_supported",`+
		`"token_type":"Bearer","expires_in":%d,"expiration":%d,`+
		`"scope":"ibm openid","ims_user_id":118}`,
		tok, expiresIn, time.Now().Unix()+expiresIn)
}

// failFirst answers the first n requests with status (code BXNIM0001E),
// then issues tok.
func failFirst(n int64, status int, tok string) func(w http.ResponseWriter, i int64) {
	return func(w http.ResponseWriter, i int64) {
		if i <= n {
			writeIAMError(w, status, "BXNIM0001E", "down")
			return
		}
		writeToken(w, tok, 3600)
	}
}

// writeIAMError answers in IAM's error shape.
func writeIAMError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transaction-Id", "txn-123")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errorCode":%q,"errorMessage":%q,`+
		`"context":{"requestId":"req-456","requestType":"incoming.Identity_Token"}}`,
		code, msg)
}

// fakeClock moves wall and monotonic time separately, as a sleeping
// machine does.
type fakeClock struct {
	start instant
	mu    sync.Mutex
	at    instant
}

// fakeEpoch is every fake clock's wall time at the start.
var fakeEpoch = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock {
	start := instant{mono: time.Now(), wall: fakeEpoch.UnixNano()}
	return &fakeClock{start: start, at: start}
}

// elapsed returns how far the monotonic clock has moved since the start.
func (c *fakeClock) elapsed() time.Duration {
	return c.now().sub(c.start)
}

func (c *fakeClock) now() instant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// advance moves both clocks, as time passing on a running machine.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.add(d)
	c.mu.Unlock()
}

// suspend moves only the wall clock, as a machine's sleep does.
func (c *fakeClock) suspend(d time.Duration) {
	c.mu.Lock()
	c.at.wall += int64(d)
	c.mu.Unlock()
}

// sleep stands in for the wait between retries: it moves both clocks at
// once, unless ctx has ended.
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.advance(d)
	return true
}

// newTestManager makes a manager for f on a fake clock; see clockedManager.
func newTestManager(t testing.TB, f *fakeIAM, opts ...Option) *Manager {
	t.Helper()
	m, _ := clockedManager(t, f, opts...)
	return m
}

// clockedManager makes a manager for f on a fake clock, which retries
// move instead of sleeping, with jitter 0: refresh points are the latest
// allowed, retries wait 0 and cooldowns are half their longest. It has
// its own HTTP transport, closed when the test ends so no connection
// goroutine outlives it. opts may override any of this.
func clockedManager(t testing.TB, f *fakeIAM, opts ...Option) (*Manager, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	base := []Option{
		WithAuthURL(f.URL + "/identity/token"),
		WithHTTPClient(&http.Client{Transport: transport}),
		withClock(clock.now),
		withSleep(clock.sleep),
		withJitter(func() float64 { return 0 }),
	}
	m, err := New(testKey, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m, clock
}

// waitUntil polls cond, for conditions another goroutine makes true.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var bg = context.Background()
