package chaos

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Load sends a plan's payouts through a Client, paced, with the plan's
// duplicates, and checks every answer names the payout it must.
type Load struct {
	Client      *Client
	Concurrency int
	// Pace is the gap between the starts of consecutive payouts, so the
	// requests spread over the faults instead of arriving all at once.
	Pace time.Duration

	accepted   atomic.Int64
	dupsSent   atomic.Int64
	concurrent atomic.Int64
	mu         sync.Mutex
	problems   []string
}

// LoadResult is what the load saw.
type LoadResult struct {
	Accepted       int
	DuplicatesSent int // requests sent a second time with the same key
	ConcurrentDups int // of which at the same moment as the first
	Problems       []string
}

// Accepted is how many payouts have been accepted so far.
func (l *Load) Accepted() int { return int(l.accepted.Load()) }

// Run sends every item and returns when all are answered (or ctx ends).
func (l *Load) Run(ctx context.Context, items []Item) LoadResult {
	var next atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for range max(1, l.Concurrency) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) || !sleepCtx(ctx, time.Until(began.Add(time.Duration(i)*l.Pace))) {
					return
				}
				l.send(ctx, items[i])
			}
		})
	}
	wg.Wait()
	return LoadResult{Accepted: l.Accepted(), DuplicatesSent: int(l.dupsSent.Load()),
		ConcurrentDups: int(l.concurrent.Load()), Problems: l.problems}
}

func (l *Load) send(ctx context.Context, it Item) {
	var answers []Accepted
	var errs []error
	switch it.Dup {
	case DupConcurrent:
		l.dupsSent.Add(1)
		l.concurrent.Add(1)
		answers, errs = l.both(ctx, it)
	case DupSequential:
		l.dupsSent.Add(1)
		a, err := l.Client.CreatePayout(ctx, it)
		answers, errs = []Accepted{a}, []error{err}
		if err == nil {
			b, err := l.Client.CreatePayout(ctx, it)
			answers, errs = append(answers, b), append(errs, err)
			if err == nil && !b.Replayed {
				l.problem("payout %d: a repeat of an accepted request was not marked Idempotent-Replayed", it.Index)
			}
		}
	default:
		a, err := l.Client.CreatePayout(ctx, it)
		answers, errs = []Accepted{a}, []error{err}
	}
	l.judge(it, answers, errs)
}

// both sends the request twice at once.
func (l *Load) both(ctx context.Context, it Item) ([]Accepted, []error) {
	answers, errs := make([]Accepted, 2), make([]error, 2)
	var wg sync.WaitGroup
	for k := range 2 {
		wg.Go(func() { answers[k], errs[k] = l.Client.CreatePayout(ctx, it) })
	}
	wg.Wait()
	return answers, errs
}

// judge checks that every answer is a 202 for the one payout the key
// derives to.
func (l *Load) judge(it Item, answers []Accepted, errs []error) {
	for k, err := range errs {
		if err != nil {
			l.problem("payout %d: request %d never accepted: %v", it.Index, k+1, err)
			return
		}
		if answers[k].ID != it.ID {
			l.problem("payout %d: request %d answered payout %q, want %q", it.Index, k+1, answers[k].ID, it.ID)
			return
		}
	}
	l.accepted.Add(1)
}

func (l *Load) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}
