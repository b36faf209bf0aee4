package tokenmanager

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchManager returns a manager on the real clock with a cached token.
func benchManager(b *testing.B) *Manager {
	f := newFakeIAM(b)
	m, err := New(testKey, WithAuthURL(f.URL))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	if _, err := m.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	return m
}

var sink string

func BenchmarkCached(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tok, err := m.Token(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sink = tok
	}
}

func BenchmarkCachedParallel(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		tok := "unset"
		for pb.Next() {
			tok, _ = m.Token(ctx)
		}
		if tok == "" {
			b.Error("no token")
		}
	})
}

// floorToken is what any correct cache must do per call: load the cached
// token and read the clock to check it.
type floorToken struct {
	value  string
	expiry time.Time
}

var floorCache atomic.Pointer[floorToken]

func floorLoad() string {
	if t := floorCache.Load(); t != nil && time.Now().Before(t.expiry) {
		return t.value
	}
	return ""
}

func BenchmarkFloor(b *testing.B) {
	floorCache.Store(&floorToken{value: "tok", expiry: time.Now().Add(time.Hour)})
	b.ReportAllocs()
	for b.Loop() {
		sink = floorLoad()
	}
}

func BenchmarkFloorParallel(b *testing.B) {
	floorCache.Store(&floorToken{value: "tok", expiry: time.Now().Add(time.Hour)})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		tok := "unset"
		for pb.Next() {
			tok = floorLoad()
		}
		if tok == "" {
			b.Error("no token")
		}
	})
}

// BenchmarkColdHerd measures a crowd of 1,000 callers arriving at a
// manager with no token; IAM answers after 10 ms. It reports IAM requests
// per herd, which must be 1.
func BenchmarkColdHerd(b *testing.B) {
	f := newFakeIAM(b)
	f.setReply(func(w http.ResponseWriter, n int64) {
		time.Sleep(10 * time.Millisecond)
		writeToken(w, "tok", 3600)
	})
	b.ReportAllocs()
	for b.Loop() {
		m, err := New(testKey, WithAuthURL(f.URL))
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() { _, _ = m.Token(context.Background()) })
		}
		wg.Wait()
		_ = m.Close()
	}
	b.ReportMetric(float64(f.requests())/float64(b.N), "requests/herd")
}

// BenchmarkRefreshUnderLoad measures the slowest of 8 busy callers while a
// background refresh waits 300 ms for IAM; it should be far below that.
func BenchmarkRefreshUnderLoad(b *testing.B) {
	var slowest time.Duration
	requests := 0
	for b.Loop() {
		d, f := refreshUnderLoad(b, 8)
		slowest = max(slowest, d)
		requests += f.requests() - 1
	}
	b.ReportMetric(float64(slowest.Microseconds()), "max-µs")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/refresh")
}
