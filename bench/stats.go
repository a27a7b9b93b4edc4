package bench

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// sqlCounter counts the statements the product sends to PostgreSQL, and
// the time it waits for them: the campaign run splits its acceptance
// into PostgreSQL and the rest with it.
type sqlCounter struct {
	n    atomic.Int64
	wait atomic.Int64 // nanoseconds, statements in flight together all count

	mu   sync.Mutex
	slow []SlowStatement // since resetSlow, those over slowStatement
}

// SlowStatement is a statement that took longer than slowStatement.
type SlowStatement struct {
	Seconds float64 `json:"seconds"`
	SQL     string  `json:"sql"` // whitespace squeezed, cut
}

const slowStatement = 100 * time.Millisecond

type sqlStartKey struct{}

func (c *sqlCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return context.WithValue(ctx, sqlStartKey{}, sqlStart{at: time.Now(), sql: d.SQL})
}

type sqlStart struct {
	at  time.Time
	sql string
}

func (c *sqlCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	st, ok := ctx.Value(sqlStartKey{}).(sqlStart)
	if !ok {
		return
	}
	took := time.Since(st.at)
	c.wait.Add(int64(took))
	if took < slowStatement {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slow = append(c.slow, SlowStatement{Seconds: took.Seconds(), SQL: oneLine(st.sql, 90)})
}

// takeSlow returns the slow statements seen since the last call.
func (c *sqlCounter) takeSlow() []SlowStatement {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.slow
	c.slow = nil
	return out
}

// percentile of already sorted durations, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func sortedCopy(d []time.Duration) []time.Duration {
	out := slices.Clone(d)
	slices.Sort(out)
	return out
}
