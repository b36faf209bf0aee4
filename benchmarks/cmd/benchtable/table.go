package main

import (
	"cmp"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// known orders the rows of the benchmarks package; peers are the
// implementations the speed-up is measured against.
var (
	known = []string{"ours", "gosdkcore", "oauth2", "aws", "google", "floor"}
	peers = []string{"gosdkcore", "oauth2", "aws", "google"}
)

// A row is one series with what the table shows of it.
type row struct {
	*series
	label    string
	parallel bool
	median   float64
}

// writeBench prints the benchmark table: one group of rows per kind of run
// (one goroutine or RunParallel) and GOMAXPROCS.
func writeBench(w io.Writer, res *results) {
	rows := makeRows(res)
	fmt.Fprintln(w, "| implementation | run | GOMAXPROCS | median ns/op | allocs/op "+
		"| ns/op ÷ floor | speed-up over fastest peer |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		group := sameGroup(rows, r)
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s |\n", r.label, runKind(r),
			r.procs, formatNs(r.median), formatAllocs(r.allocs),
			floorRatio(group, r), speedUp(group, r))
	}
	fmt.Fprintf(w, "\nEach ns/op is the median of %s runs.\n", runCounts(rows))
}

// makeRows builds the rows in table order: by kind of run, GOMAXPROCS,
// package (the benchmarks package first) and implementation.
func makeRows(res *results) []row {
	first := make(map[string]int) // package -> first appearance
	rows := make([]row, 0, len(res.order))
	for i, k := range res.order {
		if _, ok := first[k.pkg]; !ok && !isPeersPkg(k.pkg) {
			first[k.pkg] = i + 1
		}
		s := res.series[k]
		rows = append(rows, row{series: s, label: label(k),
			parallel: strings.Contains(top(k.name), "Parallel"), median: median(s.ns)})
	}
	rank := func(r row) int {
		if !isPeersPkg(r.pkg) {
			return len(known) + 1
		}
		if i := slices.Index(known, r.label); i >= 0 {
			return i
		}
		return len(known)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(
			cmp.Compare(boolInt(a.parallel), boolInt(b.parallel)),
			cmp.Compare(a.procs, b.procs),
			cmp.Compare(first[a.pkg], first[b.pkg]),
			cmp.Compare(rank(a), rank(b)))
	})
	return rows
}

// label names a row: the sub-benchmark for the benchmarks package, else
// the package's last element and the benchmark name.
func label(k key) string {
	if !isPeersPkg(k.pkg) {
		return path.Base(k.pkg) + "/" + k.name
	}
	if _, sub, ok := strings.Cut(k.name, "/"); ok {
		return sub
	}
	return k.name
}

// sameGroup returns the rows of r's kind of run and GOMAXPROCS.
func sameGroup(rows []row, r row) []row {
	var g []row
	for _, o := range rows {
		if o.parallel == r.parallel && o.procs == r.procs {
			g = append(g, o)
		}
	}
	return g
}

// floorRatio divides r's ns/op by the floor's of its group, preferring a
// floor from r's own package. Only cached-path benchmarks and floors get
// one; a cold herd has nothing to compare with the floor.
func floorRatio(group []row, r row) string {
	if !strings.Contains(top(r.name), "Cached") && !isFloor(r.name) {
		return ""
	}
	var floor *row
	for i, o := range group {
		if isFloor(o.name) && (floor == nil || o.pkg == r.pkg) {
			floor = &group[i]
		}
	}
	if floor == nil || floor.median == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", r.median/floor.median)
}

// speedUp gives, on our row of the benchmarks package only, the fastest
// peer's ns/op divided by ours.
func speedUp(group []row, r row) string {
	if !isPeersPkg(r.pkg) || r.label != "ours" || r.median == 0 {
		return ""
	}
	var best *row
	for i, o := range group {
		if isPeersPkg(o.pkg) && slices.Contains(peers, o.label) &&
			(best == nil || o.median < best.median) {
			best = &group[i]
		}
	}
	if best == nil {
		return ""
	}
	return fmt.Sprintf("%.2f× (%s)", best.median/r.median, best.label)
}

// machine describes where the benchmarks ran.
func machine(res *results, numCPU int) string {
	parts := append(slices.Clone(res.machine), fmt.Sprintf("runtime.NumCPU(): %d", numCPU))
	return "Machine: " + strings.Join(parts, ", ")
}

// writeExchanges prints the exchange results of the tests, one row per
// implementation.
func writeExchanges(w io.Writer, res *results) {
	fmt.Fprintln(w, "| implementation | cold herd: IAM requests "+
		"| refresh window: max caller latency | waits for IAM |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	size := ""
	for _, name := range res.exchangeOrder {
		e := res.exchanges[name]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, cell(e["herd_requests"]),
			cell(e["window_max"]), cell(e["waits"]))
		size = cmp.Or(e["herd_size"], size)
	}
	if size != "" {
		fmt.Fprintf(w, "\nThe cold herd is %s goroutines asking at once.\n", size)
	}
}

// worse reports whether exchange value v is worse than old: a larger
// count or duration, or "yes" over "no".
func worse(v, old string) bool {
	if a, err := strconv.Atoi(v); err == nil {
		b, err := strconv.Atoi(old)
		return err != nil || a > b
	}
	if a, err := time.ParseDuration(v); err == nil {
		b, err := time.ParseDuration(old)
		return err != nil || a > b
	}
	return v == "yes" && old != "yes"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// runCounts says how many runs the medians cover, such as "6" or "5–6".
func runCounts(rows []row) string {
	lo, hi := 0, 0
	for i, r := range rows {
		if n := len(r.ns); i == 0 || n < lo {
			lo = n
		}
		hi = max(hi, len(r.ns))
	}
	if lo == hi {
		return strconv.Itoa(hi)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func runKind(r row) string {
	if r.parallel {
		return "RunParallel"
	}
	return "1 goroutine"
}

// formatNs shows three significant digits, or all digits of a whole
// number of 1,000 or more: 9.87, 98.7, 987, 9870.
func formatNs(v float64) string {
	switch {
	case v < 9.995:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 99.95:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func formatAllocs(v []float64) string {
	if len(v) == 0 {
		return ""
	}
	return strconv.FormatFloat(median(v), 'f', -1, 64)
}

func cell(v string) string { return cmp.Or(v, "—") }

// top is the top-level benchmark of a name, before any sub-benchmark.
func top(name string) string {
	t, _, _ := strings.Cut(name, "/")
	return t
}

// isFloor reports whether a benchmark measures the floor: its last name
// element mentions it, as Cached/floor or Floor do.
func isFloor(name string) bool {
	return strings.Contains(strings.ToLower(path.Base(name)), "floor")
}

func isPeersPkg(pkg string) bool {
	return pkg == "" || strings.HasSuffix(pkg, peersPkg)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
