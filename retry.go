package tokenmanager

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Retries within one exchange, and the cooldown between failed exchanges.
const (
	maxAttempts    = 4                      // IAM requests per exchange
	backoffBase    = 200 * time.Millisecond // first retry's longest wait
	backoffCap     = 2 * time.Second        // no retry waits longer, Retry-After aside
	exchangeBudget = 30 * time.Second       // one exchange with all its retries

	cooldownBase  = time.Second      // after the first failed exchange
	cooldownCap   = 15 * time.Second // after a long streak
	retryAfterCap = 5 * time.Minute  // the longest Retry-After honoured
)

// A failure records the last failed exchange. Until its end, callers with
// no usable token get err at once, and no exchange starts.
type failure struct {
	err    error
	until  instant
	streak int // failed exchanges in a row
}

// attempts sends up to maxAttempts IAM requests, waiting between them with
// exponential backoff and full jitter, or as long as Retry-After asks. It
// gives up early on a permanent error, or when the next wait would pass
// deadline, the end of the exchange's budget.
func (m *Manager) attempts(ctx context.Context, deadline instant) (*token, error) {
	for attempt := 1; ; attempt++ {
		t, err := m.request(ctx)
		if err == nil {
			return t, nil
		}
		wait, ok := m.retryWait(ctx, err, attempt, deadline)
		if !ok {
			return nil, err
		}
		m.log.LogAttrs(ctx, slog.LevelDebug, "tokenmanager: retrying IAM request",
			slog.Int("attempt", attempt), slog.Duration("wait", wait), errorAttr(err))
		if !m.sleep(ctx, wait) {
			return nil, err
		}
	}
}

// retryWait says how long to wait before retrying after err, and whether
// to retry at all.
func (m *Manager) retryWait(ctx context.Context, err error, attempt int,
	deadline instant) (time.Duration, bool) {
	if attempt >= maxAttempts || !temporary(err) || ctx.Err() != nil {
		return 0, false
	}
	backoff := min(backoffBase<<(attempt-1), backoffCap)
	wait := max(time.Duration(m.jitter()*float64(backoff)), retryAfter(err))
	if !m.now().add(wait).before(deadline) {
		return 0, false
	}
	return wait, true
}

// temporary reports whether another request could succeed after err:
// network errors, timeouts, 429 and 5xx, but not a rejection or a reply
// that made no sense.
func temporary(err error) bool {
	var iamErr *IAMError
	if errors.As(err, &iamErr) {
		return iamErr.Temporary()
	}
	return !errors.Is(err, ErrInvalidResponse) && !errors.Is(err, ErrClosed)
}

func retryAfter(err error) time.Duration {
	var iamErr *IAMError
	if errors.As(err, &iamErr) {
		return iamErr.RetryAfter
	}
	return 0
}

// sleep waits for d, or until ctx ends, and reports whether d passed.
// Tests replace it to move a fake clock instead.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fail records a failed exchange and starts its cooldown: about a second,
// doubling with each failure in a row up to cooldownCap, jittered between
// half and all of that, and never shorter than IAM's Retry-After.
func (m *Manager) fail(err error, now instant) *failure {
	streak := 1
	if prev := m.failure.Load(); prev != nil {
		streak = prev.streak + 1
	}
	d := min(cooldownBase<<min(streak-1, 4), cooldownCap) // 16 s is past the cap
	d = d/2 + time.Duration(m.jitter()*float64(d/2))
	d = max(d, min(retryAfter(err), retryAfterCap))

	f := &failure{err: err, until: now.add(d), streak: streak}
	m.failure.Store(f)
	return f
}

// cooling returns the last failure while its cooldown holds, else nil.
func (m *Manager) cooling(now instant) *failure {
	if f := m.failure.Load(); f != nil && now.before(f.until) {
		return f
	}
	return nil
}
