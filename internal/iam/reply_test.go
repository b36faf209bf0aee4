package iam

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 7 ", 7 * time.Second},
		{"-3", 0},
		{"99999999999999", MaxLifetime},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.value, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  two\nlines\t", "two lines"},
		{"bad \xff byte", "bad   byte"},
		{strings.Repeat("é", 300), strings.Repeat("é", maxText) + "…"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadBodyStopsAtLimit(t *testing.T) {
	body, tooLong, err := ReadBody(strings.NewReader(strings.Repeat("x", 3*MaxReplySize)))
	if err != nil || !tooLong || len(body) != MaxReplySize {
		t.Errorf("ReadBody = %d bytes, tooLong %t, %v; want %d, true, nil",
			len(body), tooLong, err, MaxReplySize)
	}
	body, tooLong, err = ReadBody(strings.NewReader("{}"))
	if err != nil || tooLong || string(body) != "{}" {
		t.Errorf("ReadBody = %q, %t, %v; want {}, false, nil", body, tooLong, err)
	}
}
