package tokenmanager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// herd runs n callers of m.Token at once and returns their results.
func herd(m *Manager, n int, ctx context.Context) ([]string, []error) {
	toks, errs := make([]string, n), make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			toks[i], errs[i] = m.Token(ctx)
		})
	}
	start.Done()
	done.Wait()
	return toks, errs
}

// checkColdHerd sends n callers at a manager with no token and checks
// that IAM sees one request and every caller gets its token.
func checkColdHerd(t *testing.T, n int) {
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, _ int64) {
		time.Sleep(50 * time.Millisecond) // let the herd pile up
		writeToken(w, "tok-shared", 3600)
	})
	m := newTestManager(t, f)

	toks, errs := herd(m, n, bg)
	for i := range toks {
		require.NoError(t, errs[i])
		require.Equal(t, "tok-shared", toks[i])
	}
	assert.Equal(t, 1, f.requests())
}

func TestColdHerdMakesOneRequest(t *testing.T) {
	t.Parallel()
	checkColdHerd(t, 2000)
}

func TestCallerGivingUpDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, n int64) {
		<-release
		writeToken(w, "tok-shared", 3600)
	})
	m := newTestManager(t, f)

	// The first caller starts the exchange, then gives up.
	ctx, cancel := context.WithCancel(bg)
	first := make(chan error, 1)
	go func() {
		_, err := m.Token(ctx)
		first <- err
	}()
	waitUntil(t, "the exchange reaches IAM", func() bool { return f.requests() == 1 })

	var others sync.WaitGroup
	results := make(chan error, 20)
	for range 20 {
		others.Go(func() {
			tok, err := m.Token(bg)
			if err == nil && tok != "tok-shared" {
				err = errors.New("wrong token " + tok)
			}
			results <- err
		})
	}
	cancel()
	select {
	case err := <-first:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("a cancelled caller must return at once")
	}

	close(release)
	others.Wait()
	close(results)
	for err := range results {
		assert.NoError(t, err)
	}
	assert.Equal(t, 1, f.requests())
}

func TestDeadlineBoundsEachCaller(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeIAM(t)
	f.setReply(func(w http.ResponseWriter, n int64) { <-release })
	defer close(release)
	m := newTestManager(t, f)

	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)

	_, err = m.Token(ctx) // already expired: no new exchange
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	waitUntil(t, "the detached exchange reaches IAM", func() bool { return f.requests() >= 1 })
	assert.Equal(t, 1, f.requests())
}

func TestInvalidate(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	old, err := m.Token(bg)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			m.Invalidate(old)
			if _, err := m.Token(bg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tok, err := m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok)
	assert.Equal(t, 2, f.requests(), "twenty reports of one token make one exchange")

	m.Invalidate(old) // no longer cached: ignored
	m.Invalidate("never-issued")
	tok, err = m.Token(bg)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok)
	assert.Equal(t, 2, f.requests())
}

func TestCloseCancelsExchangeInFlight(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	f := newFakeIAM(t)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // lets the server see the client leave
		<-r.Context().Done()               // IAM hangs until the client goes away
	})
	m := newTestManager(t, f)

	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := m.Token(bg)
			errs <- err
		}()
	}
	waitUntil(t, "the exchange reaches IAM", func() bool { return f.requests() == 1 })

	start := time.Now()
	require.NoError(t, m.Close())
	assert.Less(t, time.Since(start), 2*time.Second, "Close must cancel, not wait out IAM")
	for range 10 {
		assert.ErrorIs(t, <-errs, ErrClosed)
	}
	_, err := m.Token(bg)
	assert.ErrorIs(t, err, ErrClosed)

	f.Close()
	m.client.CloseIdleConnections()
	goleak.VerifyNone(t, leaks)
}

func TestCachedTokenDoesNotAllocate(t *testing.T) {
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	_, err := m.Token(bg)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := m.Token(bg); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// refreshUnderLoad puts m's token in its refresh window and has workers
// call Token until the background refresh, which IAM answers after
// 300 ms, is done. It returns the slowest call.
func refreshUnderLoad(t testing.TB, workers int) (slowest time.Duration, f *fakeIAM) {
	f = newFakeIAM(t)
	m, clock := clockedManager(t, f)
	_, err := m.Token(bg)
	require.NoError(t, err)
	f.setReply(func(w http.ResponseWriter, n int64) {
		time.Sleep(300 * time.Millisecond)
		writeToken(w, "tok-new", 3600)
	})
	clock.advance(59 * time.Minute)

	lat := make([]time.Duration, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for {
				t0 := time.Now()
				tok, err := m.Token(bg)
				lat[i] = max(lat[i], time.Since(t0))
				if err != nil || tok == "tok-new" {
					return
				}
				time.Sleep(50 * time.Microsecond) // a service does other work
			}
		})
	}
	wg.Wait()
	return slices.Max(lat), f
}

func TestRefreshUnderLoadNeverWaits(t *testing.T) {
	t.Parallel()
	slowest, f := refreshUnderLoad(t, 8)
	t.Logf("slowest call during a 300 ms refresh: %v", slowest)
	assert.Less(t, slowest, 100*time.Millisecond, "no caller may wait for IAM")
	assert.Equal(t, 2, f.requests(), "one refresh for all callers")
}

func TestTwoRefreshCyclesInARow(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	for cycle := 1; cycle <= 3; cycle++ {
		clock.advance(59 * time.Minute) // this token's refresh point
		tok, err := m.Token(bg)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("tok-%d", max(cycle-1, 1)), tok)
		waitUntil(t, "the background refresh", func() bool {
			tok, _ := m.Token(bg)
			return tok == fmt.Sprintf("tok-%d", cycle)
		})
		clock.advance(time.Minute - 10*time.Second - time.Nanosecond) // usable
	}
	assert.Equal(t, 3, f.requests(), "each cycle refreshes in the background, once")
}

func TestCachedPathTakesNoLock(t *testing.T) {
	t.Parallel()
	m := newTestManager(t, newFakeIAM(t))
	_, err := m.Token(bg)
	require.NoError(t, err)

	m.mu.Lock()
	defer m.mu.Unlock()
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := m.Token(bg)
		done <- err
	}()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Token blocked on a lock held elsewhere")
	}
}

// managerGoroutines returns the stacks of goroutines running m's methods.
func managerGoroutines(m *Manager) []string {
	buf := make([]byte, 1<<20)
	var found []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, fmt.Sprintf("(*Manager).exchange(%p", m)) {
			found = append(found, g)
		}
	}
	return found
}

func TestCloseWaitsForExchange(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	m := newTestManager(t, f)
	go func() { _, _ = m.Token(bg) }()
	waitUntil(t, "the exchange reaches IAM", func() bool { return f.requests() == 1 })

	require.NotEmpty(t, managerGoroutines(m), "the check must see a running exchange")
	require.NoError(t, m.Close())
	assert.Empty(t, managerGoroutines(m), "an exchange outlived Close")
}

func TestNoExchangeAfterClose(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	require.NoError(t, m.Close())

	_, err := m.exchange(bg) // as if a caller raced with Close
	assert.ErrorIs(t, err, ErrClosed)
	m.refreshInBackground(bg, m.now())
	assert.False(t, m.refreshing.Load())

	cancelled, cancel := context.WithCancel(bg)
	cancel()
	_, err = m.Token(cancelled)
	assert.ErrorIs(t, err, ErrClosed, "after Close, ErrClosed wins over ctx")
	assert.Zero(t, f.requests())
}

func TestDoneContextStartsNoExchange(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	m := newTestManager(t, f)
	cancelled, cancel := context.WithCancel(bg)
	cancel()

	_, err := m.Token(cancelled)
	assert.ErrorIs(t, err, context.Canceled)
	time.Sleep(20 * time.Millisecond) // give a wrongly started exchange time to arrive
	assert.Zero(t, f.requests())
}

func TestInvalidateDuringBackgroundRefresh(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeIAM(t)
	m, clock := clockedManager(t, f)
	old, err := m.Token(bg)
	require.NoError(t, err)
	f.setReply(func(w http.ResponseWriter, n int64) {
		<-release
		writeToken(w, fmt.Sprintf("tok-%d", n), 3600)
	})

	clock.advance(59 * time.Minute)
	_, err = m.Token(bg) // starts the background refresh
	require.NoError(t, err)
	waitUntil(t, "the refresh reaches IAM", func() bool { return f.requests() == 2 })
	m.Invalidate(old)
	result := make(chan string, 1)
	go func() {
		tok, _ := m.Token(bg) // must join the refresh, not start another
		result <- tok
	}()
	close(release)
	assert.Equal(t, "tok-2", <-result)
	assert.Equal(t, 2, f.requests(), "one exchange at a time")
}

func TestDefaultClientLeavesNoGoroutines(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	f := newFakeIAM(t)
	m, err := New(testKey, WithAuthURL(f.URL)) // the manager's own transport
	require.NoError(t, err)
	_, err = m.Token(bg)
	require.NoError(t, err)

	require.NoError(t, m.Close())
	f.Close()
	goleak.VerifyNone(t, leaks)
}
