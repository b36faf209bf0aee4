package tokenmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/iamtoken/tokenmanager/internal/iam"
)

// flightKey is the one singleflight key: a manager has one token.
const flightKey = "token"

var userAgent = "tokenmanager/" + version + " (github.com/iamtoken/tokenmanager)"

// wait joins the shared exchange, starting it if none is in flight, and
// returns its token. It gives up when ctx ends or the manager closes; the
// exchange itself goes on for the other callers.
func (m *Manager) wait(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if m.closed() {
		return "", ErrClosed
	}

	ch := m.group.DoChan(flightKey, func() (any, error) {
		return m.exchange(context.WithoutCancel(ctx))
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(*token).value, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-m.done:
		return "", ErrClosed
	}
}

// refreshInBackground starts one exchange that no caller waits for. It
// runs on ctx's values but not its cancellation, so it outlives the call
// that started it.
func (m *Manager) refreshInBackground(ctx context.Context) {
	if !m.refreshing.CompareAndSwap(false, true) {
		return
	}
	m.group.DoChan(flightKey, func() (any, error) {
		return m.exchange(context.WithoutCancel(ctx))
	})
}

// exchange gets a new token from IAM and caches it. singleflight runs one
// at a time, so it is the only writer of cur apart from Invalidate and
// Close.
func (m *Manager) exchange(ctx context.Context) (*token, error) {
	ctx, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer m.end()

	// A caller may have joined just after the last exchange finished.
	if t := m.cur.Load(); t != nil && t.fresh(m.now()) {
		return t, nil
	}

	start := time.Now()
	t, err := m.request(ctx)
	if err != nil {
		if m.closed() {
			return nil, ErrClosed
		}
		m.log.LogAttrs(ctx, slog.LevelWarn, "tokenmanager: exchange failed",
			slog.Duration("duration", time.Since(start)), errorAttr(err))
		return nil, err
	}

	m.cur.Store(t)
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
	m.refreshing.Store(false)
	m.wg.Done()
}

// request sends one IAM request, bounded by the request timeout, and
// schedules the token it returns.
func (m *Manager) request(ctx context.Context) (*token, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	req, err := iam.NewRequest(ctx, m.authURL, m.form, userAgent)
	if err != nil {
		return nil, fmt.Errorf("tokenmanager: build IAM request: %w", err)
	}

	sent := m.now()
	resp, err := m.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("tokenmanager: IAM request timed out after %v: %w",
				m.timeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("tokenmanager: request token: %w", err)
	}
	defer resp.Body.Close()
	body, tooLong, err := iam.ReadBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("tokenmanager: read IAM reply: %w", err)
	}

	reply, err := iam.Parse(resp.StatusCode, resp.Header, body, tooLong, time.Now())
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

// checkExpiration logs when IAM's expiration disagrees with expires_in by
// more than a few minutes: a sign of a skewed local clock. expires_in wins.
func (m *Manager) checkExpiration(ctx context.Context, r iam.Reply) {
	if r.Expiration.IsZero() {
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
