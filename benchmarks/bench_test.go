package benchmarks

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/iamtoken/tokenmanager/iamtest"
)

// BenchmarkCached measures one goroutine asking each implementation for its
// cached token.
func BenchmarkCached(b *testing.B) {
	srv := iamtest.NewServer()
	defer srv.Close()
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			get := warm(b, open(b, name, srv, newClient(b)))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			var n int
			for b.Loop() {
				tok, err := get(ctx)
				if err != nil {
					b.Fatal(err)
				}
				n += len(tok)
			}
			if n == 0 {
				b.Fatal("no token")
			}
		})
	}
}

// BenchmarkCachedParallel measures GOMAXPROCS goroutines asking each
// implementation for its cached token at once.
func BenchmarkCachedParallel(b *testing.B) {
	srv := iamtest.NewServer()
	defer srv.Close()
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			get := warm(b, open(b, name, srv, newClient(b)))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			var total atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				// Each goroutine sums locally and adds once at the end: a
				// shared write per call would add the very contention
				// being measured.
				var n int
				for pb.Next() {
					tok, err := get(ctx)
					if err != nil {
						b.Error(err)
						return
					}
					n += len(tok)
				}
				total.Add(int64(n))
			})
			if total.Load() == 0 {
				b.Fatal("no token")
			}
		})
	}
}

// open builds the implementation called name for srv, cold, and releases
// it when tb ends.
func open(tb testing.TB, name string, srv *iamtest.Server, client *http.Client) tokenFunc {
	tb.Helper()
	get, release, err := openers[name](srv, client)
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(release)
	return get
}

// warm fetches the first token, so that get has one cached, and returns get.
func warm(tb testing.TB, get tokenFunc) tokenFunc {
	tb.Helper()
	if _, err := get(context.Background()); err != nil {
		tb.Fatalf("first token: %v", err)
	}
	return get
}

// newClient returns an HTTP client with its own connection pool, closed
// when tb ends.
func newClient(tb testing.TB) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
