package tokenmanager

import "time"

// An instant is a moment read from both clocks. Go's monotonic clock stops
// while a machine sleeps and the wall clock does not, so a deadline has
// passed when either clock says so.
type instant struct {
	mono time.Time // compared by its monotonic reading
	wall int64     // Unix nanoseconds
}

func (i instant) add(d time.Duration) instant {
	return instant{mono: i.mono.Add(d), wall: i.wall + int64(d)}
}

// before reports whether i is earlier than deadline on both clocks.
func (i instant) before(deadline instant) bool {
	return i.mono.Before(deadline.mono) && i.wall < deadline.wall
}

// sub returns i − j by the monotonic clock.
func (i instant) sub(j instant) time.Duration {
	return i.mono.Sub(j.mono)
}

// token is a cached access token and its schedule. It never changes after
// it is stored; a new token replaces it whole.
type token struct {
	value  string
	bearer string    // "Bearer " + value, built once for Transport
	expiry time.Time // wall clock only; for Expiry, String and logs

	// refreshAt starts the background refresh. It equals usableUntil when
	// the buffer is too small for a refresh window.
	refreshAt instant

	// usableUntil is expiry less a safety margin: IBM services reject
	// tokens that have only seconds left.
	usableUntil instant
}

// newToken schedules a token with the given lifetime, counted from sent,
// the moment its request went out. jitter is in [0, 1).
//
// With lifetime L and buffer B: the safety margin is S = min(10 s, L/10);
// the effective buffer is B' = min(B, L/2), so a token shorter than the
// buffer still serves half its life; the refresh point falls at random in
// [expiry − 1.2·B', expiry − B'] so that managers started together do not
// refresh together. When B' ≤ S there is no background refresh.
func newToken(value string, lifetime time.Duration, sent instant,
	buffer time.Duration, jitter float64) *token {
	safety := min(10*time.Second, lifetime/10)
	buffer = min(buffer, lifetime/2)
	expiry := sent.add(lifetime)

	t := &token{
		value:       value,
		bearer:      "Bearer " + value,
		expiry:      time.Unix(0, expiry.wall),
		usableUntil: expiry.add(-safety),
	}
	t.refreshAt = t.usableUntil
	if buffer > safety {
		early := time.Duration(jitter * 0.2 * float64(buffer))
		t.refreshAt = expiry.add(-buffer - early)
	}
	return t
}

// fresh reports whether t needs no refresh at now.
func (t *token) fresh(now instant) bool {
	return now.before(t.refreshAt)
}

// usable reports whether t may still be handed out at now.
func (t *token) usable(now instant) bool {
	return now.before(t.usableUntil)
}
