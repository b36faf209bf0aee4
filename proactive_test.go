package tokenmanager

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memIAM is an IAM inside the process, for synctest bubbles where sockets
// cannot be used: the client's transport calls the handler directly.
type memIAM struct {
	hits  atomic.Int64
	reply atomic.Pointer[func(w http.ResponseWriter, n int64)]
}

func (f *memIAM) RoundTrip(r *http.Request) (*http.Response, error) {
	n := f.hits.Add(1)
	if err := checkTokenRequest(r); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	(*f.reply.Load())(rec, n)
	return rec.Result(), nil
}

func (f *memIAM) setReply(reply func(w http.ResponseWriter, n int64)) {
	f.reply.Store(&reply)
}

func (f *memIAM) requests() int { return int(f.hits.Load()) }

// newMemManager makes a manager whose IAM is f, on the bubble's clock.
func newMemManager(t *testing.T, f *memIAM, opts ...Option) *Manager {
	t.Helper()
	if f.reply.Load() == nil {
		f.setReply(func(w http.ResponseWriter, n int64) {
			writeToken(w, fmt.Sprintf("tok-%d", n), 3600)
		})
	}
	base := []Option{
		WithAuthURL("http://127.0.0.1/identity/token"),
		WithHTTPClient(&http.Client{Transport: f}),
		withJitter(func() float64 { return 0 }),
	}
	m, err := New(testKey, append(base, opts...)...)
	require.NoError(t, err)
	return m
}

func TestProactiveRefreshWhileIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &memIAM{}
		m := newMemManager(t, f, WithProactiveRefresh())
		tok, err := m.Token(bg)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok)

		time.Sleep(59*time.Minute + time.Second) // idle past the refresh point
		synctest.Wait()
		assert.Equal(t, 2, f.requests(), "refreshed with no caller")
		tok, err = m.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok)

		require.NoError(t, m.Close())
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		assert.Equal(t, 2, f.requests(), "Close must stop the timer")
	})
}

func TestNoProactiveRefreshByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &memIAM{}
		m := newMemManager(t, f)
		defer m.Close()
		_, err := m.Token(bg)
		require.NoError(t, err)

		time.Sleep(2 * time.Hour)
		synctest.Wait()
		assert.Equal(t, 1, f.requests())
	})
}

func TestProactiveRefreshRetriesAfterCooldown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &memIAM{}
		m := newMemManager(t, f, WithProactiveRefresh())
		defer m.Close()
		_, err := m.Token(bg)
		require.NoError(t, err)

		var failing atomic.Bool
		failing.Store(true)
		f.setReply(func(w http.ResponseWriter, n int64) {
			if failing.Load() {
				writeIAMError(w, http.StatusServiceUnavailable, "BXNIM0001E", "down")
				return
			}
			writeToken(w, "tok-back", 3600)
		})
		time.Sleep(59*time.Minute + 30*time.Second)
		synctest.Wait()
		failed := f.requests() - 1
		// Exchanges 0.5, 1, 2, 4, 7.5, 7.5 and 7.5 s apart (cooldowns at
		// jitter 0) fit eight into 30 s, each of four requests.
		assert.GreaterOrEqual(t, failed, 7*maxAttempts)
		assert.LessOrEqual(t, failed, 8*maxAttempts)

		failing.Store(false)
		time.Sleep(cooldownCap)
		synctest.Wait()
		tok, err := m.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-back", tok, "recovered with no caller")
	})
}

func TestTimerRechecksWallClock(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f, WithProactiveRefresh())
	_, err := m.Token(bg)
	require.NoError(t, err)

	m.tick() // early: the token is fresh on both clocks
	assert.Equal(t, 1, f.requests())

	clock.suspend(2 * time.Hour) // slept: only the wall clock moved
	m.tick()
	waitUntil(t, "the refresh", func() bool { return f.requests() == 2 })
}
