package tokenmanager

// The cases of issue 3: serving through IAM faults and bad replies.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Case 1.
func TestColdStartRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, n int64) {
		switch n {
		case 1:
			writeIAMError(w, http.StatusServiceUnavailable, "BXNIM0001E", "down")
		case 2:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><h1>502 Bad Gateway</h1></html>")
		default:
			writeToken(w, fmt.Sprintf("tok-%d", n), 3600)
		}
	})
	m := newTestManager(t, f)

	ctx, cancel := context.WithTimeout(bg, 15*time.Second)
	defer cancel()
	tok, err := m.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-3", tok)
	assert.Equal(t, 3, f.requests())
}

// Case 2.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	var clock *fakeClock
	var mu sync.Mutex
	var seen []instant
	f.setReply(func(w http.ResponseWriter, n int64) {
		mu.Lock()
		seen = append(seen, clock.now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeIAMError(w, http.StatusTooManyRequests, "BXNIM0436E", "slow down")
			return
		}
		writeToken(w, "tok-after", 3600)
	})
	var m *Manager
	m, clock = clockedManager(t, f)

	ctx, cancel := context.WithTimeout(bg, 8*time.Second)
	defer cancel()
	toks, errs := herd(m, 50, ctx)
	for i := range toks {
		require.NoError(t, errs[i])
		require.Equal(t, "tok-after", toks[i])
	}
	require.Equal(t, 2, f.requests())
	assert.GreaterOrEqual(t, seen[1].sub(seen[0]), time.Second,
		"the retry must wait for Retry-After")
}

// Case 3.
func TestRejectedKeyIsNotRetried(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		writeIAMError(w, http.StatusBadRequest, "BXNIM0415E",
			"Provided API key could not be found.")
	})
	m, clock := clockedManager(t, f)

	_, err := m.Token(bg)
	var iamErr *IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, 400, iamErr.StatusCode)
	assert.Equal(t, "BXNIM0415E", iamErr.Code)
	assert.Equal(t, "req-456", iamErr.RequestID)
	assert.False(t, iamErr.Temporary())
	assert.Equal(t, 1, f.requests())

	// A tight loop for one second of (fake) time.
	for range 10_000 {
		_, err := m.Token(bg)
		require.ErrorAs(t, err, &iamErr)
		clock.advance(100 * time.Microsecond)
	}
	assert.LessOrEqual(t, f.requests(), 4, "a rejected key must not hammer IAM")
}

// Case 4.
func TestFailingRefreshServesCachedToken(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f,
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := m.Token(bg)
	require.NoError(t, err)

	f.setReply(func(w http.ResponseWriter, _ int64) {
		writeIAMError(w, http.StatusServiceUnavailable, "BXNIM0001E", "down")
	})
	clock.advance(59 * time.Minute) // the refresh point
	calls := 0
	for clock.elapsed() < time.Hour-10*time.Second {
		tok, err := m.Token(bg)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok)
		clock.advance(10 * time.Millisecond)
		calls++
	}
	waitUntil(t, "background exchanges end", func() bool { return !m.refreshing.Load() })
	// 50 s of cooldowns 0.5, 1, 2, 4, 7.5, 7.5… s allow 11 exchanges of 4 requests.
	assert.LessOrEqual(t, f.requests()-1, 44, "%d calls", calls)
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())

	_, err = m.Token(bg) // past expiry − S: no token to serve
	var iamErr *IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, http.StatusServiceUnavailable, iamErr.StatusCode)

	f.setReply(func(w http.ResponseWriter, n int64) { writeToken(w, "tok-back", 3600) })
	clock.advance(cooldownCap)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-back", tok)
}

// Case 5.
func TestHangingIAM(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	var hanging atomic.Bool
	hanging.Store(true)
	f := newFakeIAM(t)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // lets the server see the client leave
		if hanging.Load() {
			<-r.Context().Done()
			return
		}
		writeToken(w, "tok-late", 3600)
	})
	m, clock := clockedManager(t, f, WithRequestTimeout(300*time.Millisecond),
		withSleep(sleep), withJitter(func() float64 { return 1 }))

	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 250*time.Millisecond)
	assert.Equal(t, 1, f.requests(), "one request in the first attempt")

	start = time.Now()
	_, errs := herd(m, 20, bg)
	for _, err := range errs {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, maxAttempts, f.requests())

	hanging.Store(false)
	clock.advance(cooldownCap)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-late", tok)

	require.NoError(t, m.Close())
	f.Close()
	m.client.CloseIdleConnections()
	goleak.VerifyNone(t, leaks)
}

// Case 7, the body too large for memory: the reader stops at 1 MiB.
func TestHugeReplyIsCutShort(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		_, _ = io.WriteString(w, `{"access_token":"`)
		for range 20 << 4 { // 20 MiB
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up, as it should
			}
		}
	})
	m := newTestManager(t, f)

	start := time.Now()
	_, err := m.Token(bg)
	require.ErrorIs(t, err, ErrInvalidResponse)
	assert.Contains(t, err.Error(), "larger than 1 MiB")
	assert.Less(t, len(err.Error()), 2048)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.True(t, m.Expiry().IsZero())
}

// Case 8.
func TestHugeLifetimes(t *testing.T) {
	for _, secs := range []int64{9_300_000_000, 1_000_000_000_000} {
		t.Run(fmt.Sprint(secs), func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM(t)
			f.setReply(func(w http.ResponseWriter, n int64) { writeToken(w, "tok", secs) })
			m, clock := clockedManager(t, f)
			for range 10 {
				_, err := m.Token(bg)
				require.NoError(t, err)
				clock.advance(time.Minute)
			}
			assert.Equal(t, 1, f.requests())
			sent := time.Unix(0, newFakeClock().now().wall)
			assert.Equal(t, sent.Add(24*time.Hour), m.Expiry(), "capped at 24 h, not in the past")
		})
	}
}

// Case 11 runs in huge_test.go, outside -race. Cases 6 and 12 are
// TestCallerGivingUpDoesNotFailOthers and TestCloseCancelsExchangeInFlight.

func TestNoErrorReplayedAfterRecovery(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(failFirst(maxAttempts, http.StatusInternalServerError, "tok-ok"))
	m, clock := clockedManager(t, f)

	_, err := m.Token(bg)
	require.Error(t, err)
	_, err2 := m.Token(bg)
	assert.Same(t, err, err2, "during the cooldown the last error is returned at once")
	assert.Equal(t, maxAttempts, f.requests())

	clock.advance(cooldownBase)
	for range 3 {
		tok, err := m.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-ok", tok)
	}
	assert.Nil(t, m.failure.Load())
}

func TestRetryAfterPastBudgetEndsExchange(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, n int64) {
		w.Header().Set("Retry-After", "120")
		writeIAMError(w, http.StatusTooManyRequests, "BXNIM0436E", "slow down")
	})
	m, clock := clockedManager(t, f)

	_, err := m.Token(bg)
	var iamErr *IAMError
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, 2*time.Minute, iamErr.RetryAfter)
	assert.Equal(t, 1, f.requests(), "a wait past the budget ends the exchange at once")

	clock.advance(119 * time.Second)
	_, err = m.Token(bg)
	require.ErrorAs(t, err, &iamErr)
	assert.Equal(t, 1, f.requests(), "the cooldown lasts until Retry-After")
	clock.advance(time.Second)
	_, _ = m.Token(bg)
	assert.Equal(t, 2, f.requests())
}

func TestCooldownGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f, withJitter(func() float64 { return 0.999 }))
	want := []time.Duration{1, 2, 4, 8, 15, 15, 15}
	for i, w := range want {
		got := m.fail(ErrInvalidResponse, clock.now())
		d := got.until.sub(clock.now())
		assert.InDelta(t, float64(w*time.Second), float64(d), float64(10*time.Millisecond),
			"failure %d", i+1)
		assert.Equal(t, i+1, got.streak)
	}
	ra := &IAMError{StatusCode: 429, RetryAfter: time.Hour}
	got := m.fail(ra, clock.now())
	assert.Equal(t, retryAfterCap, got.until.sub(clock.now()))
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
