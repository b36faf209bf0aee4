// Command benchtable reads the output of go test -bench on stdin and prints
// one markdown table of the cached-token benchmarks: for each
// implementation and each kind of run, the median ns/op over the repeated
// runs, allocs/op, the ratio to the floor and, on our row, the speed-up
// over the fastest peer. A line about the machine follows.
//
// It accepts many -count repetitions, -cpu lists, and the output of more
// than one package: benchmarks are keyed by package and name, so those of
// the library itself get rows of their own. Lines starting with
// "exchanges:" (logged by the tests of the benchmarks package under -v)
// add a second table: IAM requests of a cold herd and whether callers
// wait for IAM during a refresh.
//
//	go test -run '^$' -bench . -count 6 -cpu 1,2 . | go run ./cmd/benchtable
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(res.series) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, res, runtime.NumCPU())
}

// write prints the benchmark table, the machine line and, when there are
// any, the exchange results.
func write(w io.Writer, res *results, numCPU int) {
	writeBench(w, res)
	fmt.Fprintf(w, "\n%s\n", machine(res, numCPU))
	if len(res.exchanges) > 0 {
		fmt.Fprintln(w)
		writeExchanges(w, res)
	}
}
