package tokenmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

// flightKey is the one singleflight key: a manager has one token.
const flightKey = "token"

var userAgent = "tokenmanager/" + version + " (github.com/iamtoken/tokenmanager)"

// wait joins the shared exchange, starting it if none is in flight, and
// returns its token. It gives up when ctx ends or the manager closes; the
// exchange itself goes on for the other callers. While a cooldown holds it
// returns the last exchange's error at once.
func (m *Manager) wait(ctx context.Context) (*token, error) {
	if m.closed() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f := m.cooling(m.now()); f != nil {
		return nil, f.err
	}

	ch := m.group.DoChan(flightKey, func() (any, error) {
		return m.exchange(context.WithoutCancel(ctx))
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*token), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.done:
		return nil, ErrClosed
	}
}

// refreshInBackground starts one exchange that no caller waits for, unless
// one is already running or a cooldown holds. It runs on ctx's values but
// not its cancellation, so it outlives the call that started it.
//
// A goroutine waits for the exchange and only then clears refreshing:
// singleflight has forgotten the call by the time it reports the result,
// so a later refresh always starts a new exchange instead of joining one
// that is ending.
func (m *Manager) refreshInBackground(ctx context.Context, now instant) {
	if m.refreshing.Load() || m.cooling(now) != nil {
		return
	}
	if !m.refreshing.CompareAndSwap(false, true) {
		return
	}
	if !m.track() {
		m.refreshing.Store(false)
		return
	}
	go func() {
		defer m.wg.Done()
		defer m.refreshing.Store(false)
		<-m.group.DoChan(flightKey, func() (any, error) {
			return m.exchange(context.WithoutCancel(ctx))
		})
	}()
}

// exchange gets a new token from IAM, retrying transient failures, and
// caches it. singleflight runs one at a time, so it is the only writer of
// cur and failure apart from Invalidate and Close.
func (m *Manager) exchange(ctx context.Context) (*token, error) {
	ctx, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer m.arm() // runs after end, outside the lock
	defer m.end()

	// A caller may have joined just after the last exchange ended.
	now := m.now()
	if t := m.cur.Load(); t != nil && t.fresh(now) {
		return t, nil
	}
	if f := m.cooling(now); f != nil {
		return nil, f.err
	}

	ctx, cancel := context.WithTimeout(ctx, exchangeBudget)
	defer cancel()
	m.countExchange()
	start := time.Now()
	t, err := m.attempts(ctx, now.add(exchangeBudget))
	m.countResult(err, time.Since(start))
	if err != nil {
		if m.closed() {
			return nil, ErrClosed
		}
		m.logFailure(ctx, m.fail(err, m.now()), time.Since(start))
		return nil, err
	}

	m.cur.Store(t)
	m.failure.Store(nil)
	m.log.LogAttrs(ctx, slog.LevelInfo, "tokenmanager: exchanged API key for token",
		slog.Duration("duration", time.Since(start)), slog.Time("expiry", t.expiry))
	return t, nil
}

// begin registers an exchange so that Close can cancel it and wait for it.
func (m *Manager) begin(parent context.Context) (context.Context, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(parent)
	m.cancel = cancel
	m.wg.Add(1)
	return ctx, nil
}

func (m *Manager) end() {
	m.mu.Lock()
	m.cancel()
	m.cancel = nil
	m.mu.Unlock()
	m.wg.Done()
}

// track counts one more goroutine for Close to wait for, unless the
// manager is closed. The goroutine calls m.wg.Done when it ends.
func (m *Manager) track() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed() {
		return false
	}
	m.wg.Add(1)
	return true
}

// request sends one IAM request, bounded by the request timeout, and
// decodes its reply.
func (m *Manager) request(ctx context.Context) (*token, error) {
	reqCtx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	req, err := iam.NewRequest(reqCtx, m.authURL, m.form, userAgent)
	if err != nil {
		return nil, fmt.Errorf("tokenmanager: build IAM request: %w", err)
	}

	sent := m.now()
	m.countRequest()
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, m.requestError(ctx, reqCtx, err)
	}
	defer resp.Body.Close()
	body, tooLong, err := iam.ReadBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("tokenmanager: read IAM reply: %w", err)
	}
	return m.decode(ctx, resp.StatusCode, resp.Header, body, tooLong, sent)
}

// requestError explains a failed round trip: which deadline ended it, or
// the network error.
func (m *Manager) requestError(ctx, reqCtx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("tokenmanager: exchange gave up after %v: %w",
			exchangeBudget, context.DeadlineExceeded)
	case errors.Is(reqCtx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("tokenmanager: IAM request timed out after %v: %w",
			m.timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("tokenmanager: request token: %w", err)
}

// decode turns a reply into a token scheduled from sent, or into an
// *IAMError or an error wrapping ErrInvalidResponse.
func (m *Manager) decode(ctx context.Context, status int, header http.Header, body []byte,
	tooLong bool, sent instant) (*token, error) {
	reply, err := iam.Parse(status, header, body, tooLong, time.Now())
	var rejected *iam.ErrorReply
	if errors.As(err, &rejected) {
		return nil, newIAMError(rejected, m.apiKey, url.QueryEscape(m.apiKey))
	}
	if err != nil {
		return nil, err
	}
	m.checkExpiration(ctx, reply)
	return newToken(reply.AccessToken, reply.Lifetime, sent, m.buffer, m.jitter()), nil
}

// logFailure warns once per failure streak; later failures in the same
// streak are logged at debug level, so a long outage does not flood logs.
func (m *Manager) logFailure(ctx context.Context, f *failure, took time.Duration) {
	level := slog.LevelWarn
	if f.streak > 1 {
		level = slog.LevelDebug
	}
	m.log.LogAttrs(ctx, level, "tokenmanager: exchange failed",
		slog.Duration("duration", took), slog.Int("failures_in_a_row", f.streak),
		slog.Time("cooldown_until", time.Unix(0, f.until.wall)), errorAttr(f.err))
}

// checkExpiration logs when IAM's expiration disagrees with expires_in by
// more than a few minutes: a sign of a skewed local clock. expires_in wins.
func (m *Manager) checkExpiration(ctx context.Context, r iam.Reply) {
	if r.Expiration.IsZero() || r.Lifetime == iam.MaxLifetime {
		return
	}
	skew := time.Until(r.Expiration) - r.Lifetime
	if skew.Abs() > 5*time.Minute {
		m.log.LogAttrs(ctx, slog.LevelWarn,
			"tokenmanager: IAM expiration disagrees with expires_in; "+
				"the local clock may be off",
			slog.Duration("skew", skew))
	}
}

func errorAttr(err error) slog.Attr {
	var e *IAMError
	if errors.As(err, &e) {
		return slog.Group("iam", slog.Int("status", e.StatusCode),
			slog.String("code", e.Code), slog.String("request_id", e.RequestID))
	}
	return slog.String("error", err.Error())
}
