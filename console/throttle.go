package console

import (
	"sync"
	"time"
)

// Failed sign-ins per source address are bounded: tokens are long and
// random, so this is not what keeps them secret, but it keeps a guesser
// from using the console as an oracle at line rate and makes the attempts
// visible (each refusal is logged).
const (
	signInFailures = 10
	signInWindow   = 10 * time.Minute
	// throttleMax bounds the table: past it, the oldest windows go first.
	throttleMax = 10000
)

type throttle struct {
	mu   sync.Mutex
	seen map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

func newThrottle() *throttle { return &throttle{seen: map[string]*window{}} }

// blocked says whether the source used up its failures in this window.
func (t *throttle) blocked(src string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.seen[src]
	return w != nil && now.Sub(w.start) < signInWindow && w.failures >= signInFailures
}

func (t *throttle) fail(src string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.seen[src]
	if w == nil || now.Sub(w.start) >= signInWindow {
		if len(t.seen) >= throttleMax {
			t.forgetOld(now)
		}
		w = &window{start: now}
		t.seen[src] = w
	}
	w.failures++
}

func (t *throttle) forgetOld(now time.Time) {
	for k, w := range t.seen {
		if now.Sub(w.start) >= signInWindow {
			delete(t.seen, k)
		}
	}
	if len(t.seen) >= throttleMax {
		clear(t.seen) // all inside the window: a flood; start over
	}
}
