package tokenmanager

import (
	"context"
	"time"
)

// maxTimerWait bounds each proactive timer. Timers run on the monotonic
// clock, which stops while a machine sleeps; waking at least this often
// lets the wall-clock check notice a token that went stale during sleep.
const maxTimerWait = time.Minute

// arm sets the proactive timer for the next moment worth a look: the
// token's refresh point, or the end of a cooldown. It does nothing unless
// WithProactiveRefresh was given, or when there is no token to keep fresh.
func (m *Manager) arm() {
	if !m.proactive {
		return
	}
	now := m.now()
	t := m.cur.Load()
	if t == nil {
		return // the next Token call exchanges, and arms again
	}
	at := t.refreshAt
	if f := m.cooling(now); f != nil {
		at = f.until
	}
	wait := min(at.sub(now), time.Duration(at.wall-now.wall), maxTimerWait)
	wait = max(wait, 0)

	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed():
	case m.timer == nil:
		m.timer = time.AfterFunc(wait, m.tick)
	default:
		m.timer.Reset(wait)
	}
}

// tick runs when the proactive timer fires. It checks the token on both
// clocks, and refreshes it in the background when due; the exchange arms
// the timer again when it ends.
func (m *Manager) tick() {
	if !m.track() {
		return
	}
	defer m.wg.Done()

	now := m.now()
	t := m.cur.Load()
	switch {
	case t == nil:
	case t.fresh(now) || m.cooling(now) != nil || m.refreshing.Load():
		m.arm()
	default:
		m.refreshInBackground(context.Background(), now)
	}
}
