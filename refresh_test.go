package tokenmanager

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schedule returns the refresh point and end of use of a token issued
// now, as offsets from now, with the given jitter.
func schedule(lifetime, buffer time.Duration, jitter float64) (refresh, usable time.Duration) {
	sent := instant{mono: time.Now()}
	t := newToken("x", lifetime, sent, buffer, jitter)
	return t.refreshAt.sub(sent), t.usableUntil.sub(sent)
}

func TestSchedule(t *testing.T) {
	tests := []struct {
		name             string
		lifetime, buffer time.Duration
		jitter           float64
		refresh, usable  time.Duration
	}{
		// S = min(10 s, L/10); B' = min(B, L/2); refresh in [exp−1.2B', exp−B'].
		{"hour, default, latest", time.Hour, time.Minute, 0, 59 * time.Minute, time.Hour - 10*time.Second},
		{"hour, default, earliest", time.Hour, time.Minute, 0.999999999,
			time.Hour - 72*time.Second + 12*time.Nanosecond, time.Hour - 10*time.Second},
		{"hour, default, middle", time.Hour, time.Minute, 0.5, time.Hour - 66*time.Second,
			time.Hour - 10*time.Second},
		{"short token halves buffer", time.Minute, time.Minute, 0, 30 * time.Second, 54 * time.Second},
		{"short token, earliest", time.Minute, time.Minute, 0.5, 27 * time.Second, 54 * time.Second},
		{"zero buffer: no window", time.Hour, 0, 0.5, time.Hour - 10*time.Second,
			time.Hour - 10*time.Second},
		{"buffer equals margin: no window", time.Hour, 10 * time.Second, 0.5,
			time.Hour - 10*time.Second, time.Hour - 10*time.Second},
		{"tiny token", 10 * time.Second, time.Minute, 0, 5 * time.Second, 9 * time.Second},
		{"day", 24 * time.Hour, 5 * time.Minute, 0, 24*time.Hour - 5*time.Minute,
			24*time.Hour - 10*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refresh, usable := schedule(tt.lifetime, tt.buffer, tt.jitter)
			assert.Equal(t, tt.refresh, refresh, "refresh point")
			assert.Equal(t, tt.usable, usable, "end of use")
			assert.LessOrEqual(t, refresh, usable)
		})
	}
}

func TestScheduleJitterSpreadsManagers(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 50 {
		m, err := New("key-123", WithAuthURL(DefaultAuthURL))
		require.NoError(t, err)
		sent := instant{mono: time.Now()}
		tok := newToken("x", time.Hour, sent, time.Minute, m.jitter())
		at := tok.refreshAt.sub(sent)
		require.GreaterOrEqual(t, at, time.Hour-72*time.Second)
		require.LessOrEqual(t, at, time.Hour-60*time.Second)
		seen[at] = true
		require.NoError(t, m.Close())
	}
	assert.Greater(t, len(seen), 40, "refresh points should differ between managers")
}

func TestCachedUntilRefreshPoint(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	for range 10 {
		tok, err := m.Token(bg)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok)
	}
	clock.advance(59*time.Minute - time.Nanosecond)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	assert.False(t, m.refreshing.Load(), "no refresh before the refresh point")
	assert.Equal(t, 1, f.requests(), "ten calls and a wait make one exchange")
}

func TestRefreshWindowServesCachedTokenWithoutWaiting(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	_, err := m.Token(bg)
	require.NoError(t, err)

	release := make(chan struct{})
	f.setReply(func(w http.ResponseWriter, n int64) {
		<-release
		writeToken(w, "tok-new", 3600)
	})
	clock.advance(59 * time.Minute) // the refresh point
	for range 100 {
		ctx, cancel := context.WithTimeout(bg, time.Second)
		tok, err := m.Token(ctx)
		cancel() // the background refresh must outlive this call
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok, "the window must serve the cached token")
	}
	waitUntil(t, "the refresh reaches IAM", func() bool { return f.requests() == 2 })
	close(release)
	waitUntil(t, "the refreshed token is cached", func() bool {
		tok, _ := m.Token(bg)
		return tok == "tok-new"
	})
	assert.Equal(t, 2, f.requests(), "one background exchange for the whole window")
}

func TestUnusableNearExpiry(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f, WithRefreshBuffer(0))
	_, err := m.Token(bg)
	require.NoError(t, err)

	clock.advance(time.Hour - 10*time.Second - time.Nanosecond)
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	assert.False(t, m.refreshing.Load(), "a zero buffer starts no background refresh")
	assert.Equal(t, 1, f.requests())

	clock.advance(time.Nanosecond) // expiry − S: never hand this token out
	tok, err = m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok)
	assert.Equal(t, 2, f.requests())
}

func TestShortTokenIsReusedForHalfItsLife(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, n int64) { writeToken(w, "short", 30) })
	m, clock := clockedManager(t, f) // buffer 60 s > lifetime 30 s
	for range 5 {
		_, err := m.Token(bg)
		require.NoError(t, err)
		clock.advance(2 * time.Second)
	}
	assert.Equal(t, 1, f.requests(), "calls within the first half of life reuse the token")
}

func TestLifetimeCountsFromRequestSent(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	start := time.Unix(0, clock.now().wall)
	f.setReply(func(w http.ResponseWriter, n int64) {
		clock.advance(20 * time.Second) // IAM is slow to answer
		writeToken(w, "tok", 3600)
	})
	_, err := m.Token(bg)
	require.NoError(t, err)
	assert.True(t, m.Expiry().Equal(start.Add(time.Hour)),
		"Expiry() = %v, want %v", m.Expiry(), start.Add(time.Hour))
}

func TestStaleAfterMachineSleep(t *testing.T) {
	tests := []struct {
		name string
		move func(c *fakeClock)
	}{
		// The monotonic clock stopped while the machine slept.
		{"wall clock passes expiry", func(c *fakeClock) { c.suspend(2 * time.Hour) }},
		// The wall clock was set back, say by NTP.
		{"monotonic clock passes expiry", func(c *fakeClock) {
			c.advance(2 * time.Hour)
			c.suspend(-2 * time.Hour)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM(t)
			m, clock := clockedManager(t, f)
			_, err := m.Token(bg)
			require.NoError(t, err)

			tt.move(clock)
			tok, err := m.Token(bg)
			require.NoError(t, err)
			assert.Equal(t, "tok-2", tok, "a token stale by either clock must not be served")
			assert.Equal(t, 2, f.requests())
		})
	}
}

func TestSleepIntoRefreshWindowRefreshesInBackground(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	_, err := m.Token(bg)
	require.NoError(t, err)

	clock.suspend(59*time.Minute + 30*time.Second) // wall only
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok, "still usable by both clocks")
	waitUntil(t, "the background refresh", func() bool { return f.requests() == 2 })
}
