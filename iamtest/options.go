package iamtest

import "time"

// defaultLifetime is how long issued tokens live unless [WithLifetime] or
// [Server.SetLifetime] says otherwise. Real IAM access tokens live one hour.
const defaultLifetime = time.Hour

// config holds the settings gathered from the options passed to [NewServer].
type config struct {
	// keys is the set of accepted API keys; nil accepts any non-empty key.
	keys     map[string]bool
	lifetime time.Duration
	latency  time.Duration
	// now is the clock used for issuing and checking tokens.
	now func() time.Time
}

// newConfig returns the defaults with opts applied in order.
func newConfig(opts []Option) config {
	cfg := config{lifetime: defaultLifetime, now: time.Now}
	for _, opt := range opts {
		opt(&cfg)
	}
	return cfg
}

// Option configures a [Server] built by [NewServer].
type Option func(*config)

// WithAPIKeys makes the server accept only the given API keys and answer any
// other key with 400 and [CodeAPIKeyNotFound], as IAM does for a deleted or
// mistyped key. Repeated use adds to the set; with no keys at all, every key
// is rejected. By default any non-empty key is accepted.
func WithAPIKeys(keys ...string) Option {
	return func(c *config) {
		if c.keys == nil {
			c.keys = make(map[string]bool, len(keys))
		}
		for _, k := range keys {
			c.keys[k] = true
		}
	}
}

// WithLifetime sets how long issued tokens stay valid. The default is one
// hour. The lifetime is sent as whole seconds in expires_in, so it is
// truncated to a second, and anything shorter than a second, including zero
// and negative values, becomes one second.
func WithLifetime(d time.Duration) Option {
	return func(c *config) { c.lifetime = d }
}

// WithLatency delays every answer by d, to imitate a slow network or a busy
// IAM. The wait ends early, without an answer, when the client gives up or
// the server is closed. Zero, the default, and negative values mean no delay.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// withClock replaces the clock, so tests can move time instead of sleeping.
func withClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// wholeSeconds is the lifetime d as IAM reports it: whole seconds, at least 1.
func wholeSeconds(d time.Duration) int64 {
	return max(int64(d/time.Second), 1)
}
