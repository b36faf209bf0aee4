package tokenmanager

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

const (
	// EnvAuthURL names the environment variable that [New] reads, once,
	// for the IAM URL when no [WithAuthURL] option is given.
	EnvAuthURL = "IBM_AUTH_URL"

	// DefaultAuthURL is IBM Cloud's public IAM token endpoint. It is offered
	// for WithAuthURL(DefaultAuthURL) and is never used implicitly.
	DefaultAuthURL = "https://iam.cloud.ibm.com/identity/token"

	// DefaultRefreshBuffer is how long before expiry a token is refreshed
	// in the background, unless [WithRefreshBuffer] says otherwise.
	DefaultRefreshBuffer = 60 * time.Second

	// DefaultRequestTimeout bounds each IAM request unless
	// [WithRequestTimeout] says otherwise.
	DefaultRequestTimeout = 10 * time.Second
)

// An Option configures a [Manager] in [New].
type Option func(*config)

// config holds every setting; defaults come from newConfig, then options
// run, then check validates the result once.
type config struct {
	authURLOption  string
	authURLSet     bool
	insecureHTTP   bool
	refreshBuffer  time.Duration
	requestTimeout time.Duration
	httpClient     *http.Client // nil: a client of the manager's own
	httpClientSet  bool
	logger         *slog.Logger
	proactive      bool

	// Test seams.
	clock  func() instant
	jitter func() float64
	sleep  func(context.Context, time.Duration) bool
}

func newConfig() config {
	return config{
		refreshBuffer:  DefaultRefreshBuffer,
		requestTimeout: DefaultRequestTimeout,
		jitter:         rand.Float64,
		sleep:          sleep,
	}
}

// WithAuthURL sets the IAM token URL, such as [DefaultAuthURL]. It wins
// over the IBM_AUTH_URL environment variable. A URL without a path gets
// /identity/token appended.
func WithAuthURL(url string) Option {
	return func(c *config) {
		c.authURLOption = url
		c.authURLSet = true
	}
}

// WithInsecureHTTP allows a plain http:// IAM URL to a host that is not
// loopback, for a test IAM inside a private network. It sends the API key
// unencrypted; loopback hosts need no option.
func WithInsecureHTTP() Option {
	return func(c *config) { c.insecureHTTP = true }
}

// WithRefreshBuffer sets how long before expiry the cached token is
// refreshed in the background. The default is [DefaultRefreshBuffer].
// Zero turns background refresh off: the token is then used until just
// before expiry, and callers wait for the next one. Negative is an error.
func WithRefreshBuffer(d time.Duration) Option {
	return func(c *config) { c.refreshBuffer = d }
}

// WithProactiveRefresh makes the manager refresh its token at the refresh
// point even if nobody calls [Manager.Token], so a service that was idle
// for an hour still finds a fresh token. It keeps one timer, no goroutine,
// which [Manager.Close] stops. After a failed refresh it tries again when
// the cooldown ends, for as long as the manager holds a token. Without
// it, refreshes start only from calls to Token.
func WithProactiveRefresh() Option {
	return func(c *config) { c.proactive = true }
}

// WithHTTPClient sets the client for IAM requests, for a proxy or custom
// TLS. The manager uses a copy that never follows redirects, so the API
// key is never posted to a second address. Nil is an error. Without this
// option the manager uses a transport of its own, like
// http.DefaultTransport, whose idle connections Close closes.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) {
		c.httpClient = client
		c.httpClientSet = true
	}
}

// WithRequestTimeout bounds each IAM request, whatever the caller's context
// allows. The default is [DefaultRequestTimeout]; zero or negative is an
// error.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) { c.requestTimeout = d }
}

// WithLogger makes the manager log exchanges and their failures, with
// durations and expiry times but never a key or token. Without it, or with
// nil, the manager logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// withClock replaces the clock, so tests can move wall and monotonic time
// apart as a machine's sleep does.
func withClock(now func() instant) Option {
	return func(c *config) { c.clock = now }
}

// withJitter replaces the random source of refresh points; f returns a
// value in [0, 1).
func withJitter(f func() float64) Option {
	return func(c *config) { c.jitter = f }
}

// withSleep replaces the wait between retries, so tests can move a fake
// clock instead of sleeping.
func withSleep(f func(context.Context, time.Duration) bool) Option {
	return func(c *config) { c.sleep = f }
}

// client returns the HTTP client for IAM requests: a copy of the one given
// that refuses redirects, or one with a transport of the manager's own.
// owned reports the latter.
func (c *config) client() (client *http.Client, owned bool) {
	if c.httpClient != nil {
		copied := *c.httpClient
		copied.CheckRedirect = iam.RefuseRedirect
		return &copied, false
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: transport, CheckRedirect: iam.RefuseRedirect}, true
}

// check validates the settings that options can get wrong.
func (c *config) check() error {
	switch {
	case c.refreshBuffer < 0:
		return errors.New("tokenmanager: WithRefreshBuffer: negative buffer")
	case c.requestTimeout <= 0:
		return errors.New("tokenmanager: WithRequestTimeout: timeout must be positive")
	case c.httpClientSet && c.httpClient == nil:
		return errors.New("tokenmanager: WithHTTPClient: nil client")
	}
	return nil
}
