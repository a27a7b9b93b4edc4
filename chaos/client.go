package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// Client is an admin client that behaves like a careful real one: a
// request that failed in transport or with a 5xx is sent again with the
// same Idempotency-Key until the API answers 202. With several API
// instances it goes round robin over them, so a retry after a failure
// goes to the next one: a dead instance costs one attempt.
type Client struct {
	BaseURLs []string
	Token    string
	HTTP     *http.Client

	next                                atomic.Uint64
	attempts, transportErrs, serverErrs atomic.Int64
}

// base is the API instance of the next request.
func (c *Client) base() string {
	return c.BaseURLs[(c.next.Add(1)-1)%uint64(len(c.BaseURLs))]
}

// ClientStats counts what the client saw.
type ClientStats struct {
	Attempts, TransportErrors, ServerErrors int64
}

// Stats returns the counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{Attempts: c.attempts.Load(), TransportErrors: c.transportErrs.Load(), ServerErrors: c.serverErrs.Load()}
}

// Accepted is the API's 202 answer to a payout request.
type Accepted struct {
	ID       string
	Status   string
	Replayed bool
	Attempts int
}

// maxAttempts bounds the retries of one request; with the backoff cap
// that is well over ten minutes of an unreachable API.
const maxAttempts = 1000

// CreatePayout sends the item until it is accepted. Any other 4xx is a
// bug in the product (or the plan) and ends the retries.
func (c *Client) CreatePayout(ctx context.Context, it Item) (Accepted, error) {
	backoff := 50 * time.Millisecond
	var last string
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		a, retry, err := c.try(ctx, it)
		if err == nil {
			a.Attempts = attempt
			return a, nil
		}
		if !retry {
			return Accepted{}, err
		}
		last = err.Error()
		if !sleepCtx(ctx, backoff/2+rand.N(backoff)) {
			return Accepted{}, fmt.Errorf("payout %d: %w (last error: %s)", it.Index, ctx.Err(), last)
		}
		backoff = min(backoff*2, time.Second)
	}
	return Accepted{}, fmt.Errorf("payout %d: not accepted after %d attempts; last error: %s", it.Index, maxAttempts, last)
}

// try sends the request once; retry says whether sending it again may help.
func (c *Client) try(ctx context.Context, it Item) (Accepted, bool, error) {
	c.attempts.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+"/clients/"+it.ClientID+"/payout", bytes.NewReader(it.Body()))
	if err != nil {
		return Accepted{}, false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", it.Key)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.transportErrs.Add(1)
		return Accepted{}, true, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.transportErrs.Add(1)
		return Accepted{}, true, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 500 {
		c.serverErrs.Add(1)
		return Accepted{}, true, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	if resp.StatusCode != http.StatusAccepted {
		return Accepted{}, false, fmt.Errorf("payout %d: HTTP %d: %s", it.Index, resp.StatusCode, bytes.TrimSpace(raw))
	}
	var body struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return Accepted{}, false, fmt.Errorf("payout %d: 202 with an unreadable body: %w", it.Index, err)
	}
	return Accepted{ID: body.ID, Status: body.Status, Replayed: resp.Header.Get("Idempotent-Replayed") == "true"}, false, nil
}

// sleepCtx waits d unless ctx ends first; it reports whether to go on.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
