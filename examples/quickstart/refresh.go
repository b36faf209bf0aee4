package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iamtoken/tokenmanager"
	"github.com/iamtoken/tokenmanager/iamtest"
)

// backgroundRefresh keeps callers busy for duration while 4-second tokens
// expire and are replaced in the background.
func backgroundRefresh(duration time.Duration) error {
	const workers = 8
	iam := iamtest.NewServer(iamtest.WithLifetime(4*time.Second),
		iamtest.WithLatency(300*time.Millisecond))
	defer iam.Close()
	m, err := tokenmanager.New("demo-api-key", tokenmanager.WithAuthURL(iam.URL),
		tokenmanager.WithRefreshBuffer(2*time.Second))
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Token(context.Background()); err != nil { // the one wait
		return err
	}

	lat, tokens, errs := busyCallers(m, iam, workers, duration)
	if errs > 0 {
		return fmt.Errorf("%d calls failed or got an expired token", errs)
	}
	fmt.Printf("2. %d goroutines call for %s; tokens live 4s, refresh buffer 2s, "+
		"IAM takes 300ms\n", workers, duration)
	fmt.Printf("   calls: %d, distinct tokens: %d, IAM requests: %d, failures: 0\n",
		len(lat), tokens, iam.Requests())
	waited := "no caller waited for IAM"
	if slices.Max(lat) >= 300*time.Millisecond {
		waited = "some callers waited for IAM"
	}
	fmt.Printf("   latency: %s (%s)\n\n", summary(lat), waited)
	return nil
}

// busyCallers has workers goroutines call m.Token every 2 ms for duration.
// It returns every call's latency, how many distinct tokens they got, and
// how many calls failed or got a token iam no longer accepts.
func busyCallers(m *tokenmanager.Manager, iam *iamtest.Server, workers int,
	duration time.Duration) (lat []time.Duration, tokens, errs int) {
	var mu sync.Mutex
	seen := map[string]bool{}
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				t0 := time.Now()
				tok, err := m.Token(context.Background())
				d := time.Since(t0)
				mu.Lock()
				lat, seen[tok] = append(lat, d), true
				if err != nil || !iam.Valid(tok) {
					errs++
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	return lat, len(seen), errs
}

// rejectedKey shows the error an unknown API key gives.
func rejectedKey() error {
	iam := iamtest.NewServer(iamtest.WithAPIKeys("the-only-good-key"))
	defer iam.Close()
	m, err := tokenmanager.New("a-wrong-key", tokenmanager.WithAuthURL(iam.URL))
	if err != nil {
		return err
	}
	defer m.Close()

	_, err = m.Token(context.Background())
	var iamErr *tokenmanager.IAMError
	if !errors.As(err, &iamErr) {
		return fmt.Errorf("want an *IAMError for a rejected key, got %v", err)
	}
	fmt.Println("3. A rejected API key")
	fmt.Printf("   error:     %v\n", err)
	fmt.Printf("   status: %d, code: %s, temporary: %t, key in error: %t\n\n",
		iamErr.StatusCode, iamErr.Code, iamErr.Temporary(),
		strings.Contains(err.Error(), "a-wrong-key"))
	return nil
}
