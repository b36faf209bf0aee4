package main

import (
	"strings"
	"testing"
)

// input is go test output from the benchmarks package, three runs with
// -cpu 1,2 and a few implementations, then the library's own benchmarks
// and the exchange lines of the tests under -v.
const input = `goos: linux
goarch: amd64
pkg: github.com/iamtoken/tokenmanager/benchmarks
cpu: AMD EPYC
BenchmarkCached/ours	24000000	50.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/ours	24000000	52.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/ours	24000000	90.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/oauth2	12000000	100 ns/op	0 B/op	0 allocs/op
BenchmarkCached/oauth2	12000000	110 ns/op	0 B/op	0 allocs/op
BenchmarkCached/google	12000000	120 ns/op	16 B/op	1 allocs/op
BenchmarkCached/floor	25000000	48.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/floor	25000000	50.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/ours-2	24000000	51.0 ns/op	0 B/op	0 allocs/op
BenchmarkCached/floor-2	24000000	51.0 ns/op	0 B/op	0 allocs/op
BenchmarkCachedParallel/ours-2	48000000	26.0 ns/op	0 B/op	0 allocs/op
BenchmarkCachedParallel/oauth2-2	6000000	260 ns/op	0 B/op	0 allocs/op
BenchmarkCachedParallel/floor-2	48000000	25.0 ns/op	0 B/op	0 allocs/op
PASS
ok  	github.com/iamtoken/tokenmanager/benchmarks	40.1s
goos: linux
goarch: amd64
pkg: github.com/iamtoken/tokenmanager
cpu: AMD EPYC
BenchmarkCached-2	24000000	50.0 ns/op	0 B/op	0 allocs/op
BenchmarkFloor-2	24000000	45.0 ns/op
BenchmarkColdHerd-2	100	10000000 ns/op	500000 B/op	7000 allocs/op
PASS
    herd_test.go:74: exchanges: name=ours herd_requests=1 herd_size=2000
    herd_test.go:74: exchanges: name=oauth2 herd_requests=1 herd_size=2000
    herd_test.go:169: exchanges: name=ours window_max=150µs waits=no
    herd_test.go:169: exchanges: name=oauth2 window_max=303ms waits=yes
    herd_test.go:169: exchanges: name=ours window_max=1.2ms waits=no
`

const want = `| implementation | run | GOMAXPROCS | median ns/op | allocs/op | ns/op ÷ floor | speed-up over fastest peer |
|---|---|---:|---:|---:|---:|---|
| ours | 1 goroutine | 1 | 52.0 | 0 | 1.06 | 2.02× (oauth2) |
| oauth2 | 1 goroutine | 1 | 105 | 0 | 2.14 |  |
| google | 1 goroutine | 1 | 120 | 1 | 2.45 |  |
| floor | 1 goroutine | 1 | 49.0 | 0 | 1.00 |  |
| ours | 1 goroutine | 2 | 51.0 | 0 | 1.00 |  |
| floor | 1 goroutine | 2 | 51.0 | 0 | 1.00 |  |
| tokenmanager/Cached | 1 goroutine | 2 | 50.0 | 0 | 1.11 |  |
| tokenmanager/Floor | 1 goroutine | 2 | 45.0 |  | 1.00 |  |
| tokenmanager/ColdHerd | 1 goroutine | 2 | 10000000 | 7000 |  |  |
| ours | RunParallel | 2 | 26.0 | 0 | 1.04 | 10.00× (oauth2) |
| oauth2 | RunParallel | 2 | 260 | 0 | 10.40 |  |
| floor | RunParallel | 2 | 25.0 | 0 | 1.00 |  |

Each ns/op is the median of 1–3 runs.

Machine: goos: linux, goarch: amd64, cpu: AMD EPYC, runtime.NumCPU(): 4

| implementation | cold herd: IAM requests | refresh window: max caller latency | waits for IAM |
|---|---:|---:|---|
| ours | 1 | 1.2ms | no |
| oauth2 | 1 | 303ms | yes |

The cold herd is 2000 goroutines asking at once.
`

func TestTable(t *testing.T) {
	res, err := parse(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, res, 4)
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct {
		full  string
		name  string
		procs int
	}{
		{"BenchmarkCached/ours", "Cached/ours", 1},
		{"BenchmarkCached/ours-16", "Cached/ours", 16},
		{"BenchmarkCachedParallel/go-sdk-core-2", "CachedParallel/go-sdk-core", 2},
		{"BenchmarkFloor", "Floor", 1},
	}
	for _, tt := range tests {
		k := splitName("p", tt.full)
		if k.name != tt.name || k.procs != tt.procs {
			t.Errorf("splitName(%q) = %q, %d; want %q, %d",
				tt.full, k.name, k.procs, tt.name, tt.procs)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
