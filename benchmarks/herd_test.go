package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamtoken/tokenmanager/iamtest"
)

const (
	// herdSize is how many goroutines ask a cold cache at once; it stays
	// under the race detector's limit of 8,128 live goroutines.
	herdSize = 2000
	// herdLatency is how long IAM takes to answer the cold herd.
	herdLatency = 100 * time.Millisecond

	// windowLatency is how long IAM takes to answer a refresh.
	windowLatency = 300 * time.Millisecond
	// windowOpens is how long after its first token each cache enters its
	// refresh window, given the lifetimes in windowCases.
	windowOpens = 2 * time.Second
	// windowWatch is how long callers are timed inside the window: long
	// enough for a refresh to start and end.
	windowWatch = windowLatency + 500*time.Millisecond
	// windowCallers is how many goroutines call during the window.
	windowCallers = 8
	// waitedForIAM is the latency from which a caller is taken to have
	// waited for IAM. A caller that did not wait takes microseconds.
	waitedForIAM = windowLatency / 2
)

// TestColdHerd starts each cache cold and lets herdSize goroutines ask it
// at once while IAM takes herdLatency to answer. Ours must send IAM one
// request; the peers' counts are only reported. The subtests run one after
// another, so the goroutines of two herds never add up under -race.
func TestColdHerd(t *testing.T) {
	requests := make(map[string]int)
	for _, name := range caches {
		t.Run(name, func(t *testing.T) {
			srv := iamtest.NewServer(iamtest.WithLatency(herdLatency))
			t.Cleanup(srv.Close)
			get := open(t, name, srv, newClient(t))

			failed := herd(get, herdSize)
			requests[name] = srv.Requests()
			t.Logf("%s: %d goroutines, %d IAM requests, %d errors",
				name, herdSize, requests[name], failed)
			if name == "ours" {
				assert.Equal(t, 1, requests[name], "IAM requests")
				assert.Zero(t, failed, "errors")
			}
		})
	}

	var b strings.Builder
	b.WriteString("\ncache      IAM requests for a cold herd of " + strconv.Itoa(herdSize) + "\n")
	for _, name := range caches {
		fmt.Fprintf(&b, "%-10s %d\n", name, requests[name])
	}
	t.Log(b.String())
	for _, name := range caches {
		t.Logf("exchanges: name=%s herd_requests=%d herd_size=%d", name, requests[name], herdSize)
	}
}

// herd releases n goroutines calling get at once and returns how many of
// them failed.
func herd(get tokenFunc, n int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			if _, err := get(context.Background()); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return failed
}

// A windowCase puts one cache into its own refresh window windowOpens after
// its first token, by the token lifetime it is given.
type windowCase struct {
	name     string
	lifetime time.Duration
	// age makes go-sdk-core see each token as issued this long ago.
	age time.Duration
}

// windowCases gives each cache a lifetime whose refresh window it reaches
// after windowOpens. The windows come from each library's source.
var windowCases = []windowCase{
	// Our 60 s refresh buffer shrinks to L/2 for a short lifetime L, and
	// the refresh point falls 0.4·L to 0.5·L after the token arrives:
	// 1.6 s to 2 s for 4 s.
	{name: "ours", lifetime: 4 * time.Second},
	// go-sdk-core refreshes in the background after 80% of the lifetime
	// (by the reply's absolute expiration, in whole seconds) and treats a
	// token as expired 10 s early, so it has a window only when the
	// lifetime is over 50 s, and no test can sleep 40 s. Ageing each
	// reply by 80% of an hour, less a second, opens the window of a
	// one-hour token 1 s to 2 s after it arrives.
	{name: "gosdkcore", lifetime: time.Hour, age: 48*time.Minute - time.Second},
	// oauth2's ReuseTokenSource treats a token as expired 10 s early.
	{name: "oauth2", lifetime: 12 * time.Second},
	// The aws cache is set to expire credentials awsExpiryWindow early.
	{name: "aws", lifetime: awsExpiryWindow + windowOpens},
	// google's cache refreshes in the background from 225 s before expiry.
	{name: "google", lifetime: 225*time.Second + windowOpens},
}

// windowResult is what callers saw while a cache refreshed.
type windowResult struct {
	maxLatency time.Duration
	failed     int
	tokens     int // distinct tokens the callers got
	refreshes  int // IAM requests after the first token
}

// TestRefreshWindow waits until each cache is in its refresh window, makes
// IAM take windowLatency to answer, and times callers for windowWatch. Ours
// must refresh without any caller waiting for IAM; the peers' results are
// only reported. The caches are watched at the same time, which keeps the
// test short whatever -parallel is.
func TestRefreshWindow(t *testing.T) {
	gets := make([]tokenFunc, len(windowCases))
	srvs := make([]*iamtest.Server, len(windowCases))
	for i, c := range windowCases {
		srvs[i], gets[i] = cached(t, c)
	}
	time.Sleep(windowOpens + 200*time.Millisecond)

	results := make(map[string]windowResult)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range windowCases {
		wg.Go(func() {
			r := watch(gets[i], windowCallers, windowWatch)
			r.refreshes = srvs[i].Requests() - 1
			mu.Lock()
			results[c.name] = r
			mu.Unlock()
		})
	}
	wg.Wait()

	t.Log(windowTable(results))
	for _, c := range windowCases {
		r := results[c.name]
		t.Logf("exchanges: name=%s window_max=%v waits=%s", c.name,
			r.maxLatency.Round(10*time.Microsecond), yesNo(r.maxLatency >= waitedForIAM))
	}
	ours := results["ours"]
	assert.Less(t, ours.maxLatency, waitedForIAM, "ours: max caller latency")
	assert.Zero(t, ours.failed, "ours: errors")
	assert.Equal(t, 1, ours.refreshes, "ours: refresh requests")
	assert.Equal(t, 2, ours.tokens, "ours: distinct tokens seen")
}

// cached starts an IAM stub for c, gets the cache its first token, and
// then makes the stub answer after windowLatency.
func cached(t *testing.T, c windowCase) (*iamtest.Server, tokenFunc) {
	t.Helper()
	srv := iamtest.NewServer(iamtest.WithLifetime(c.lifetime))
	t.Cleanup(srv.Close)
	client := newClient(t)
	if c.age > 0 {
		client.Transport = agedTransport{next: client.Transport, age: c.age}
	}
	get := warm(t, open(t, c.name, srv, client))
	srv.SetLatency(windowLatency)
	return srv, get
}

// watch runs callers goroutines that call get about once a millisecond
// for d, and returns the slowest call, the failures and the distinct
// tokens. The callers pause between calls, so that a slow call means one
// that waited for IAM, not one that waited for a CPU.
func watch(get tokenFunc, callers int, d time.Duration) windowResult {
	var mu sync.Mutex
	var r windowResult
	seen := make(map[string]bool)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				start := time.Now()
				tok, err := get(context.Background())
				took := time.Since(start)
				mu.Lock()
				r.maxLatency = max(r.maxLatency, took)
				if err != nil {
					r.failed++
				}
				seen[tok] = true
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	delete(seen, "")
	r.tokens = len(seen)
	return r
}

// windowTable formats results as a table, one line per cache.
func windowTable(results map[string]windowResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nrefresh window: IAM latency %v, %d callers for %v\n",
		windowLatency, windowCallers, windowWatch)
	fmt.Fprintf(&b, "%-10s %12s %6s %7s %10s %s\n",
		"cache", "max latency", "errors", "tokens", "refreshes", "waits for IAM")
	for _, c := range windowCases {
		r := results[c.name]
		fmt.Fprintf(&b, "%-10s %12v %6d %7d %10d %s\n", c.name,
			r.maxLatency.Round(10*time.Microsecond), r.failed, r.tokens, r.refreshes,
			yesNo(r.maxLatency >= waitedForIAM))
	}
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// agedTransport moves the expiration of every token reply back by age, as
// if the token had been issued that long ago. Only go-sdk-core reads the
// expiration field; the other caches count from expires_in.
type agedTransport struct {
	next http.RoundTripper
	age  time.Duration
}

// RoundTrip sends r and rewrites the expiration of a successful reply.
func (a agedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	defer resp.Body.Close()
	var body map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	exp, err := body["expiration"].(json.Number).Int64()
	if err != nil {
		return nil, err
	}
	body["expiration"] = exp - int64(a.age/time.Second)

	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestAgedTransport checks the ageing that puts go-sdk-core in its window.
func TestAgedTransport(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer()
	t.Cleanup(srv.Close)
	client := newClient(t)
	client.Transport = agedTransport{next: client.Transport, age: time.Minute}
	resp, err := client.PostForm(srv.URL, map[string][]string{
		"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {apiKey}})
	require.NoError(t, err)
	defer resp.Body.Close()

	var body struct {
		Expiration int64 `json:"expiration"`
		ExpiresIn  int64 `json:"expires_in"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.InDelta(t, time.Now().Unix()+3600-60, body.Expiration, 2)
	assert.Equal(t, int64(3600), body.ExpiresIn)
}
