//go:build !race

// The race detector allows at most 8,128 goroutines, so this file is left
// out of -race runs; `make test` runs it in a plain pass.

package tokenmanager

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Case 11 of issue 3: a crowd with short deadlines against a slow,
// failing IAM.
func TestHugeCrowdAgainstSlowFailingIAM(t *testing.T) {
	const callers = 10_000
	leaks := goleak.IgnoreCurrent()
	f := newFakeIAM(t)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(time.Second):
			writeIAMError(w, http.StatusInternalServerError, "BXNIM0001E", "down")
		case <-r.Context().Done():
		}
	})
	m, _ := clockedManager(t, f, withSleep(sleep))

	lat := make([]time.Duration, callers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range callers {
		done.Go(func() {
			ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
			defer cancel()
			start.Wait()
			t0 := time.Now()
			_, err := m.Token(ctx)
			lat[i] = time.Since(t0)
			if err == nil {
				t.Error("Token succeeded against a failing IAM")
			}
		})
	}
	start.Done()
	done.Wait()

	slices.Sort(lat)
	t.Logf("latency p50 %v, p99 %v, max %v", lat[callers/2], lat[callers*99/100], lat[callers-1])
	assert.Less(t, lat[callers-1], 500*time.Millisecond, "no caller may wait for IAM")
	assert.LessOrEqual(t, f.requests(), 2, "the crowd must share one exchange")

	require.NoError(t, m.Close())
	f.Close()
	m.client.CloseIdleConnections()
	goleak.VerifyNone(t, leaks)
}

// Issue 4: ten thousand goroutines starting cold make one IAM request.
func TestHugeColdHerdMakesOneRequest(t *testing.T) {
	checkColdHerd(t, 10_000)
}
