package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"testing"
	"time"
)

// TestDemo runs the embedded demo, shortened, and checks its report.
func TestDemo(t *testing.T) {
	t.Setenv("IBM_AUTH_URL", "")
	t.Setenv("WATSONX_APIKEY", "")
	out := captureStdout(t, func() error { return demo(3 * time.Second) })

	for _, want := range []string{
		`calls: 5000, IAM requests: 1\n`,
		`distinct tokens: [2-9], IAM requests: [2-9], failures: 0`,
		`\(no caller waited for IAM\)`,
		`status: 400, code: BXNIM0415E, temporary: false, key in error: false`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func captureStdout(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()

	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&buf, r)
		close(copied)
	}()
	runErr := f()
	w.Close()
	<-copied
	if runErr != nil {
		t.Fatalf("demo: %v\n%s", runErr, buf.String())
	}
	return buf.String()
}
