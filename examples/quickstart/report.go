package main

import (
	"fmt"
	"slices"
	"time"
)

// summary gives percentiles of lat.
func summary(lat []time.Duration) string {
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		if d := s[int(p*float64(len(s)-1))]; d < time.Millisecond {
			return d
		}
		return s[int(p*float64(len(s)-1))].Round(time.Microsecond)
	}
	return fmt.Sprintf("p50 %s, p99 %s, max %s", at(0.50), at(0.99), at(1))
}

func count(flags []bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// redact keeps the first characters of a token for recognition.
func redact(tok string) string {
	if len(tok) <= 12 {
		return "…"
	}
	return tok[:12] + "…"
}
