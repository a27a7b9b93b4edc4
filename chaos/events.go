package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/heleket-payouts/payouts/outbound"
)

// EventsSummary is what the merchant's receiver of outbound events saw.
type EventsSummary struct {
	Unique, Duplicates int // distinct events taken, and deliveries repeating one
	Refused            int // deliveries the flaky receiver answered 503
	BadSignatures      int
	Pending            int // deliveries neither delivered nor given up when checked
}

// Received gives a payout's event types in the order the receiver first
// took each event (testenv.EventReceiver.OfPayout).
type Received func(payoutID string) []string

// CheckEvents: every payout's receiver saw exactly the events its audit
// trail calls for, in that order, each verified.
func CheckEvents(s Snapshot, got Received, sum EventsSummary) []string {
	var out []string
	if sum.BadSignatures > 0 {
		out = append(out, fmt.Sprintf("events: %d deliveries failed signature verification", sum.BadSignatures))
	}
	if sum.Pending > 0 {
		out = append(out, fmt.Sprintf("events: %d deliveries still pending after the settle", sum.Pending))
	}
	for _, it := range s.Plan.Items {
		trail, ok := s.Events[it.ID]
		if !ok {
			continue // lost: reported by checkOurs
		}
		want, have := outbound.TrailTypes(trail), payoutEvents(got(it.ID))
		if !slices.Equal(want, have) {
			out = append(out, fmt.Sprintf("payout %d (%s): receiver got events %v, the audit trail calls for %v", it.Index, it.ID, have, want))
		}
	}
	return out
}

// payoutEvents leaves out the discrepancies reconciliation found about the
// payout (the failed ones have one each): they follow the trail, not in it.
func payoutEvents(types []string) []string {
	var out []string
	for _, t := range types {
		if strings.HasPrefix(t, "payout.") {
			out = append(out, t)
		}
	}
	return out
}

// WaitEventsDelivered waits, bounded, until no delivery is pending and
// returns how many still are.
func (s *Stack) WaitEventsDelivered(ctx context.Context, attempts int) (int, error) {
	var n int
	for range attempts {
		if err := s.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM event_deliveries WHERE state = 'pending'`).Scan(&n); err != nil {
			return 0, fmt.Errorf("count pending event deliveries: %w", err)
		}
		if n == 0 || !sleepCtx(ctx, pollEvery) {
			return n, nil
		}
	}
	return n, nil
}

// CreateEventEndpoint subscribes url to the given event types before the
// faults start, and returns the endpoint's secret.
func (c *Client) CreateEventEndpoint(ctx context.Context, url string, types ...string) (string, error) {
	body, err := json.Marshal(map[string]any{"url": url, "events": types})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+"/event-endpoints", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("create event endpoint: %w", err)
	}
	defer resp.Body.Close()
	var ep struct {
		Secret string `json:"secret"`
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create event endpoint: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ep); err != nil {
		return "", fmt.Errorf("create event endpoint: %w", err)
	}
	return ep.Secret, nil
}
