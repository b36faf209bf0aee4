package tokenmanager

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	t.Parallel()
	f := newFakeIAM(t)
	f.setReply(failFirst(maxAttempts, http.StatusServiceUnavailable, "tok"))
	m, clock := clockedManager(t, f)
	assert.Equal(t, Stats{}, m.Stats(), "a new manager has done nothing")

	_, err := m.Token(bg)
	require.Error(t, err)
	s := m.Stats()
	assert.EqualValues(t, 1, s.ExchangesStarted)
	assert.EqualValues(t, 1, s.ExchangesFailed)
	assert.EqualValues(t, maxAttempts, s.IAMRequests)
	assert.Equal(t, err, s.LastError)
	assert.Equal(t, "BXNIM0001E", s.LastErrorCode)
	assert.WithinDuration(t, time.Now(), s.LastErrorTime, time.Minute)
	assert.True(t, s.Expiry.IsZero())

	clock.advance(cooldownCap)
	for range 100 {
		_, err = m.Token(bg)
		require.NoError(t, err)
	}
	s = m.Stats()
	assert.EqualValues(t, 2, s.ExchangesStarted, "cached calls are not counted")
	assert.EqualValues(t, 1, s.ExchangesSucceeded)
	assert.EqualValues(t, maxAttempts+1, s.IAMRequests)
	assert.Equal(t, m.Expiry(), s.Expiry)
	assert.Positive(t, s.LastExchangeDuration)
	assert.Equal(t, "BXNIM0001E", s.LastErrorCode, "the last error stays for reference")
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&IAMError{StatusCode: 400, Code: "BXNIM0415E"}, "BXNIM0415E"},
		{&IAMError{StatusCode: 502}, "http_502"},
		{ErrInvalidResponse, "invalid_response"},
		{ErrClosed, "canceled"},
		{http.ErrHandlerTimeout, "network"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, errorCode(tt.err), "%v", tt.err)
	}
}
