// Package tokenmanager gives Go services a valid IBM Cloud IAM access token,
// for WatsonX or any IBM Cloud API, at any moment and from any number of
// goroutines.
//
// A [Manager] exchanges an API key for a token at IAM once, caches it, and
// refreshes it in the background before it expires, so callers rarely wait:
//
//	m, err := tokenmanager.New(apiKey) // IAM URL from IBM_AUTH_URL
//	if err != nil { … }
//	defer m.Close()
//	tok, err := m.Token(ctx)
//	req.Header.Set("Authorization", "Bearer "+tok)
//
// All methods of a Manager are safe for concurrent use. However many
// goroutines ask at once, IAM sees one request at a time; each caller waits
// no longer than its own context allows. No error, log line or formatted
// value ever shows the API key or a token.
package tokenmanager

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

// BUG(maintainers): Close waits for the manager's exchanges and its timer,
// but the goroutine singleflight starts for an exchange may still be
// handing back its result for a moment after Close returns.

// BUG(maintainers): IAM error text is cleaned of the API key, raw and
// URL-escaped, and of anything shaped like a JWT; a reply echoing only part
// of the key, or encoding it some other way, is not caught.

// version goes into the User-Agent of every IAM request.
const version = "0.1.0"

// A Manager holds one API key and hands out access tokens for it. Make one
// with [New]; the zero value is not usable. A Manager is safe for concurrent
// use. Close it when done: Close stops any exchange in flight and waits
// for the manager's goroutines to end.
type Manager struct {
	apiKey     string // kept only to redact it from IAM's error replies
	form       string // the encoded request body, which holds the key
	authURL    string
	client     *http.Client
	ownsClient bool // client's transport is the manager's alone
	timeout    time.Duration
	buffer     time.Duration
	log        *slog.Logger
	clock      func() instant
	jitter     func() float64
	sleep      func(context.Context, time.Duration) bool
	proactive  bool

	// cur is the cached token, nil when there is none; readers take no lock.
	cur        atomic.Pointer[token]
	failure    atomic.Pointer[failure] // the last exchange's, nil after a success
	refreshing atomic.Bool             // a background refresh was started
	group      singleflight.Group
	done       chan struct{} // closed by Close

	// mu guards cancel, the exchange in flight, and the proactive timer
	// against Close.
	mu     sync.Mutex
	cancel context.CancelFunc
	timer  *time.Timer
	wg     sync.WaitGroup // counts exchanges, refresh waiters and timer callbacks

	// statsMu guards stats, which only exchanges update.
	statsMu sync.Mutex
	stats   Stats
}

// New returns a Manager for apiKey. The IAM URL comes from [WithAuthURL],
// else from the IBM_AUTH_URL environment variable, read once here. New
// checks the key, the URL and every option, and makes no network call:
// the first exchange happens on the first [Manager.Token].
func New(apiKey string, opts ...Option) (*Manager, error) {
	c := newConfig()
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	if err := checkAPIKey(apiKey); err != nil {
		return nil, err
	}
	authURL, err := c.authURL()
	if err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}

	client, owned := c.client()
	m := &Manager{
		apiKey:     apiKey,
		form:       iam.Form(apiKey),
		authURL:    authURL,
		client:     client,
		ownsClient: owned,
		timeout:    c.requestTimeout,
		buffer:     c.refreshBuffer,
		log:        c.logger,
		clock:      c.clock,
		jitter:     c.jitter,
		sleep:      c.sleep,
		proactive:  c.proactive,
		done:       make(chan struct{}),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Token returns a valid access token, ready for an Authorization: Bearer
// header. A cached token is returned at once, without locking or
// allocating; near its expiry one background exchange replaces it while
// callers keep getting the cached one. Only when no usable token is cached
// does Token wait for an exchange, which all waiting callers share; it
// waits no longer than ctx allows and returns ctx's error when ctx ends
// first. An exchange itself ends within 30 s (at most 4 IAM requests),
// so even a context without deadline gets an answer. After Close, Token
// returns [ErrClosed].
func (m *Manager) Token(ctx context.Context) (string, error) {
	// The common case, kept short of calls: current checks it again.
	if t := m.cur.Load(); t != nil && t.fresh(m.now()) {
		return t.value, nil
	}
	t, err := m.current(ctx)
	if err != nil {
		return "", err
	}
	return t.value, nil
}

// TokenWithExpiry is [Manager.Token] that also returns the token's expiry,
// read together with it: calling Token and then [Manager.Expiry] could
// pair a token with its successor's expiry if a refresh lands between the
// calls. Adapters to other token types, such as oauth2.Token, want this.
func (m *Manager) TokenWithExpiry(ctx context.Context) (string, time.Time, error) {
	t, err := m.current(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	return t.value, t.expiry, nil
}

// current is Token's body: it returns the cached token, refreshing it in
// the background near expiry, or waits for a new one.
func (m *Manager) current(ctx context.Context) (*token, error) {
	if t := m.cur.Load(); t != nil {
		now := m.now()
		if t.fresh(now) {
			return t, nil
		}
		if t.usable(now) {
			m.refreshInBackground(ctx, now)
			return t, nil
		}
	}
	return m.wait(ctx)
}

// Expiry returns when the cached token expires, by the wall clock, or the
// zero time when no token is cached.
func (m *Manager) Expiry() time.Time {
	if t := m.cur.Load(); t != nil {
		return t.expiry
	}
	return time.Time{}
}

// Invalidate tells the manager that an API rejected token, for instance
// with 401 Unauthorized. If token is still the cached one, it is dropped
// and the next [Manager.Token] exchanges anew. A token that is no longer
// cached is ignored, so many goroutines reporting the same rejected token
// cause one exchange.
func (m *Manager) Invalidate(token string) {
	if t := m.cur.Load(); t != nil && t.value == token {
		m.cur.CompareAndSwap(t, nil)
	}
}

// Close cancels any exchange in flight, stops the proactive timer, waits
// for both to end, drops the cached token, and closes the idle
// connections of the manager's own transport (not those of a client given
// with WithHTTPClient). Later calls to Token return [ErrClosed]. Close is
// idempotent and always returns nil.
func (m *Manager) Close() error {
	m.mu.Lock()
	select {
	case <-m.done:
	default:
		close(m.done)
		if m.cancel != nil {
			m.cancel()
		}
		if m.timer != nil {
			m.timer.Stop()
		}
	}
	m.mu.Unlock()

	m.wg.Wait()
	m.cur.Store(nil)
	if m.ownsClient {
		m.client.CloseIdleConnections()
	}
	return nil
}

// String describes the manager for logs: its IAM URL and state. It never
// shows the API key or a token.
func (m *Manager) String() string {
	state := "no token"
	if m.closed() {
		state = "closed"
	} else if t := m.cur.Load(); t != nil {
		state = "token expires " + t.expiry.UTC().Format(time.RFC3339)
	}
	shown := m.authURL
	if u, err := url.Parse(m.authURL); err == nil {
		shown = u.Redacted()
	}
	return fmt.Sprintf("tokenmanager.Manager{url: %s, %s}", shown, state)
}

// Format prints [Manager.String] for every verb, %#v and %+v included, so
// that no formatting of a Manager can reach the key in its fields.
func (m *Manager) Format(f fmt.State, verb rune) {
	fmt.Fprint(f, m.String())
}

func (m *Manager) now() instant {
	if m.clock != nil {
		return m.clock()
	}
	t := time.Now()
	return instant{mono: t, wall: t.UnixNano()}
}

func (m *Manager) closed() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}
