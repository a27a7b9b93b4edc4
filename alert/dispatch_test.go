package alert_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

// channel is an alert webhook that fails its first posts.
type channel struct {
	mu       sync.Mutex
	failures int
	posts    int
	bodies   []string
}

func (c *channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts++
	if c.failures > 0 {
		c.failures--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	c.bodies = append(c.bodies, string(body))
}

func (c *channel) counts() (posts, taken int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts, len(c.bodies)
}

// clock is a clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func dispatcher(t *testing.T, ch *channel, rate int) (*alert.Dispatcher, *store.Store, *clock) {
	t.Helper()
	srv := httptest.NewServer(ch)
	t.Cleanup(srv.Close)
	poster, err := alert.New(srv.URL, time.Second)
	require.NoError(t, err)
	st := testdb.Open(t)
	// After every created_at, whatever the clocks of Go and Postgres.
	c := &clock{t: time.Now().Add(time.Minute)}
	return &alert.Dispatcher{Outbox: st, Channel: poster, RatePerMinute: rate, BackoffMin: 10 * time.Second,
		BackoffMax: time.Minute, Now: c.now}, st, c
}

func TestAnAlertIsPostedUntilTheChannelTakesItWithGrowingWaits(t *testing.T) {
	t.Parallel()
	ch := &channel{failures: 2}
	d, st, c := dispatcher(t, ch, 0)
	ctx := context.Background()
	_, err := st.RaiseAlert(ctx, alert.ForPayout(alert.KindRejected, "po-d1", "payout po-d1 rejected", "refused"))
	require.NoError(t, err)

	n, err := d.Tick(ctx)
	require.NoError(t, err, "a refused post is the outbox's to retry, not an error")
	assert.Equal(t, 1, n)
	n, _ = d.Tick(ctx)
	assert.Zero(t, n, "not again before its wait")

	c.advance(10 * time.Second) // the first wait
	n, _ = d.Tick(ctx)
	assert.Equal(t, 1, n)
	c.advance(10 * time.Second)
	n, _ = d.Tick(ctx)
	assert.Zero(t, n, "the second wait is twice the first")
	c.advance(10 * time.Second)
	n, _ = d.Tick(ctx)
	assert.Equal(t, 1, n)

	posts, taken := ch.counts()
	assert.Equal(t, 3, posts)
	assert.Equal(t, 1, taken)
	assert.Contains(t, ch.bodies[0], `"text":":rotating_light: payout po-d1 rejected"`)
	pending, err := st.PendingAlerts(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, pending)
	c.advance(time.Hour)
	n, _ = d.Tick(ctx)
	assert.Zero(t, n, "delivered once")
}

func TestAlertsOverTheRateLimitWaitForTheNextMinuteAndAreNeverDropped(t *testing.T) {
	t.Parallel()
	ch := &channel{}
	d, st, c := dispatcher(t, ch, 10)
	ctx := context.Background()
	for i := range 25 {
		_, err := st.RaiseAlert(ctx, alert.ForPayout(alert.KindStuck, fmt.Sprintf("po-r%02d", i), "stuck", ""))
		require.NoError(t, err)
	}
	perMinute := func() int {
		total := 0
		for range 5 { // ticks within one minute
			n, err := d.Tick(ctx)
			require.NoError(t, err)
			total += n
			c.advance(10 * time.Second)
		}
		c.advance(11 * time.Second) // the next minute
		return total
	}
	assert.Equal(t, []int{10, 10, 5, 0}, []int{perMinute(), perMinute(), perMinute(), perMinute()})
	_, taken := ch.counts()
	assert.Equal(t, 25, taken)
}

func TestWithoutAWebhookURLAlertsStayInTheOutbox(t *testing.T) {
	t.Parallel()
	st := testdb.Open(t)
	ctx := context.Background()
	_, err := st.RaiseAlert(ctx, alert.ForPayout(alert.KindRejected, "po-n1", "rejected", ""))
	require.NoError(t, err)
	off, err := alert.New("", 0)
	require.NoError(t, err)
	(&alert.Dispatcher{Outbox: st, Channel: off}).Run(ctx) // returns at once: nothing to post to
	pending, err := st.PendingAlerts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Zero(t, pending[0].Attempts)
}
