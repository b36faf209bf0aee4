package tokenmanager

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Stats is a snapshot of a manager's work, for metrics and health checks.
// Counting happens only when IAM is asked, never on the cached path.
type Stats struct {
	// ExchangesStarted counts exchanges that sent at least one request.
	ExchangesStarted uint64

	// ExchangesSucceeded and ExchangesFailed count finished exchanges.
	ExchangesSucceeded uint64
	ExchangesFailed    uint64

	// IAMRequests counts IAM requests, retries included.
	IAMRequests uint64

	// LastError is the error of the last failed exchange, nil if none
	// failed yet. Like every error here, it is safe to log.
	LastError error

	// LastErrorCode names LastError for a metric label: IAM's error code
	// (such as "BXNIM0415E"), else "http_<status>", "invalid_response",
	// "timeout", "canceled" or "network".
	LastErrorCode string

	// LastErrorTime is when the last exchange failed.
	LastErrorTime time.Time

	// LastExchangeDuration is how long the last finished exchange took,
	// retries included.
	LastExchangeDuration time.Duration

	// Expiry is the cached token's expiry; zero when none is cached.
	Expiry time.Time
}

// Stats returns a snapshot of the manager's counters and state.
func (m *Manager) Stats() Stats {
	m.statsMu.Lock()
	s := m.stats
	m.statsMu.Unlock()
	s.Expiry = m.Expiry()
	return s
}

func (m *Manager) countExchange() {
	m.statsMu.Lock()
	m.stats.ExchangesStarted++
	m.statsMu.Unlock()
}

func (m *Manager) countRequest() {
	m.statsMu.Lock()
	m.stats.IAMRequests++
	m.statsMu.Unlock()
}

// countResult records how an exchange ended.
func (m *Manager) countResult(err error, took time.Duration) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	m.stats.LastExchangeDuration = took
	if err == nil {
		m.stats.ExchangesSucceeded++
		return
	}
	m.stats.ExchangesFailed++
	m.stats.LastError = err
	m.stats.LastErrorCode = errorCode(err)
	m.stats.LastErrorTime = time.Now()
}

// errorCode gives err a short, stable name fit for a metric label.
func errorCode(err error) string {
	var iamErr *IAMError
	switch {
	case errors.As(err, &iamErr) && iamErr.Code != "":
		return iamErr.Code
	case iamErr != nil:
		return "http_" + strconv.Itoa(iamErr.StatusCode)
	case errors.Is(err, ErrInvalidResponse):
		return "invalid_response"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled), errors.Is(err, ErrClosed):
		return "canceled"
	}
	return "network"
}
