package main

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// peersPkg ends the import path of the benchmarks package, whose
// sub-benchmarks are named after the implementations.
const peersPkg = "/benchmarks"

// exchangesMark starts the test log lines that carry exchange results.
const exchangesMark = "exchanges:"

// A key names one benchmark: package, name without the Benchmark prefix
// and the -N suffix, and GOMAXPROCS.
type key struct {
	pkg   string
	name  string
	procs int
}

// A series is every result of one benchmark across repeated runs.
type series struct {
	key
	ns     []float64
	allocs []float64
}

// results is everything read from the input.
type results struct {
	machine []string // goos, goarch and cpu lines, once each
	series  map[key]*series
	order   []key // in order of first appearance

	// exchanges holds, per implementation, the worst value seen for each
	// exchange result.
	exchanges     map[string]map[string]string
	exchangeOrder []string
}

// parse reads go test output. Lines it does not know are skipped.
func parse(r io.Reader) (*results, error) {
	res := &results{series: make(map[key]*series), exchanges: make(map[string]map[string]string)}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "pkg:"):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg:"))
		case strings.HasPrefix(line, "goos:"), strings.HasPrefix(line, "goarch:"),
			strings.HasPrefix(line, "cpu:"):
			res.addMachine(line)
		case strings.HasPrefix(line, "Benchmark"):
			res.addBench(pkg, line)
		case strings.Contains(line, exchangesMark):
			res.addExchange(line[strings.Index(line, exchangesMark)+len(exchangesMark):])
		}
	}
	return res, sc.Err()
}

func (res *results) addMachine(line string) {
	for _, m := range res.machine {
		if m == line {
			return
		}
	}
	res.machine = append(res.machine, line)
}

// addBench records a result line such as
// "BenchmarkCached/ours-2  1000  45.6 ns/op  0 B/op  0 allocs/op".
// A line without an ns/op value, such as the name line of -v, is skipped.
func (res *results) addBench(pkg, line string) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return
	}
	k := splitName(pkg, f[0])
	ns, allocs, ok := values(f[2:])
	if !ok {
		return
	}
	s := res.series[k]
	if s == nil {
		s = &series{key: k}
		res.series[k] = s
		res.order = append(res.order, k)
	}
	s.ns = append(s.ns, ns)
	if allocs >= 0 {
		s.allocs = append(s.allocs, allocs)
	}
}

// splitName takes the Benchmark prefix and the GOMAXPROCS suffix off a
// benchmark name; go test leaves the suffix out when GOMAXPROCS is 1.
func splitName(pkg, full string) key {
	name := strings.TrimPrefix(full, "Benchmark")
	procs := 1
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil && n > 0 {
			name, procs = name[:i], n
		}
	}
	return key{pkg: pkg, name: name, procs: procs}
}

// values reads the ns/op and allocs/op of value-unit pairs; allocs is -1
// when absent.
func values(f []string) (ns, allocs float64, ok bool) {
	allocs = -1
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return 0, 0, false
		}
		switch f[i+1] {
		case "ns/op":
			ns, ok = v, true
		case "allocs/op":
			allocs = v
		}
	}
	return ns, allocs, ok
}

// addExchange records the key=value fields of an exchanges line, keeping
// the worst value of each field over repeated runs.
func (res *results) addExchange(fields string) {
	kv := make(map[string]string)
	for _, f := range strings.Fields(fields) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	name := kv["name"]
	if name == "" {
		return
	}
	delete(kv, "name")
	seen := res.exchanges[name]
	if seen == nil {
		seen = make(map[string]string)
		res.exchanges[name] = seen
		res.exchangeOrder = append(res.exchangeOrder, name)
	}
	for k, v := range kv {
		if old, ok := seen[k]; !ok || worse(v, old) {
			seen[k] = v
		}
	}
}
