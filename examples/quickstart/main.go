// Command quickstart shows tokenmanager at work.
//
// With IBM_AUTH_URL and an API key in WATSONX_APIKEY (or IBMCLOUD_API_KEY)
// set, it gets a real token from IAM and prints its expiry and a redacted
// prefix. Otherwise it starts a fake IAM in-process (package iamtest) and
// shows a crowd of callers served by one exchange, a short-lived token
// refreshed in the background while callers keep getting answers, and the
// error a rejected key gives.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	key := os.Getenv("WATSONX_APIKEY")
	if key == "" {
		key = os.Getenv("IBMCLOUD_API_KEY")
	}
	if key != "" && os.Getenv(tokenmanager.EnvAuthURL) != "" {
		return realToken(key)
	}
	if key != "" || os.Getenv(tokenmanager.EnvAuthURL) != "" {
		fmt.Println("Only one of IBM_AUTH_URL and WATSONX_APIKEY is set;",
			"real IAM needs both.")
	}
	return demo(7 * time.Second)
}

// realToken exchanges key at the IAM named by IBM_AUTH_URL.
func realToken(key string) error {
	m, err := tokenmanager.New(key)
	if err != nil {
		return err
	}
	defer m.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := m.Token(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("Got a token from %s\n", m)
	fmt.Printf("  token:   %s (%d characters)\n", redact(tok), len(tok))
	fmt.Printf("  expires: %s (in %s)\n", m.Expiry().Format(time.RFC3339),
		time.Until(m.Expiry()).Round(time.Second))
	return nil
}

// demo runs the three scenes; refreshFor is how long the second one lasts.
func demo(refreshFor time.Duration) error {
	start := time.Now()
	fmt.Println("Running against an embedded fake IAM (package iamtest).")
	fmt.Println()
	if err := crowd(); err != nil {
		return err
	}
	if err := backgroundRefresh(refreshFor); err != nil {
		return err
	}
	if err := rejectedKey(); err != nil {
		return err
	}
	fmt.Printf("Done in %s.\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// crowd sends thousands of callers at a cold manager at once.
func crowd() error {
	const callers = 5000
	iam := iamtest.NewServer(iamtest.WithLatency(200 * time.Millisecond))
	defer iam.Close()
	m, err := tokenmanager.New("demo-api-key", tokenmanager.WithAuthURL(iam.URL))
	if err != nil {
		return err
	}
	defer m.Close()

	lat, errs := callAll(m, callers)
	if errs > 0 {
		return fmt.Errorf("%d of %d callers failed", errs, callers)
	}
	fmt.Printf("1. %d goroutines ask a cold manager for a token at once (IAM takes 200ms)\n",
		callers)
	fmt.Printf("   calls: %d, IAM requests: %d\n", callers, iam.Requests())
	fmt.Printf("   latency: %s\n\n", summary(lat))
	return nil
}

// callAll calls m.Token from n goroutines at once and returns their
// latencies and the number of failures.
func callAll(m *tokenmanager.Manager, n int) ([]time.Duration, int) {
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	var ready, done sync.WaitGroup
	ready.Add(1)
	for i := range n {
		done.Go(func() {
			ready.Wait()
			t0 := time.Now()
			_, err := m.Token(context.Background())
			lat[i], failed[i] = time.Since(t0), err != nil
		})
	}
	ready.Done()
	done.Wait()
	return lat, count(failed)
}
