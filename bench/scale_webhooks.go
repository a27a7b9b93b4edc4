package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/payout"
)

// WebhookResult is one ingestion variant: signed webhooks posted to
// POST /payouts/webhook, each for a different existing payout.
type WebhookResult struct {
	Variant       string         `json:"variant"`
	Webhooks      int            `json:"webhooks"`
	Concurrency   int            `json:"concurrency"`
	PerSec        float64        `json:"webhooks_per_sec"`
	P50Ms         float64        `json:"p50_ms"`
	P99Ms         float64        `json:"p99_ms"`
	SQLPerWebhook float64        `json:"sql_statements_per_webhook"`
	Answers       map[string]int `json:"answers"` // the handler's "status" field, by count
}

// Ingestion variants. Closed: the payout's workflow is not running (it
// finished, as it has for almost every payout Heleket writes about late),
// so the signal comes back NotFound. Running: a workflow with the payout's
// ID is open and takes the signal into its history; no worker polls its
// queue, so the figure is the ingestion path, not the workflow's reaction.
const (
	variantClosed  = "workflow closed"
	variantRunning = "workflow running"
	idleQueue      = "bench-scale-idle"
)

func (s *scaleEnv) webhooks(ctx context.Context, o ScaleOptions) ([]WebhookResult, error) {
	srv, err := devtemporal.Start(ctx, devtemporal.Options{})
	if err != nil {
		return nil, fmt.Errorf("start Temporal dev server: %w", err)
	}
	defer func() { _ = srv.Stop() }() // the server's state is thrown away with it
	c, err := client.DialContext(ctx, benchClientOptions(srv.HostPort(), ""))
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal: %w", err)
	}
	defer c.Close()
	if err := s.startAPI(ctx, c); err != nil {
		return nil, err
	}
	targets, err := s.webhookTargets(ctx, 2*o.Webhooks)
	if err != nil {
		return nil, err
	}
	closed, err := s.ingest(ctx, o, variantClosed, targets[:o.Webhooks])
	if err != nil {
		return nil, err
	}
	running := targets[o.Webhooks:]
	_, err = pool(ctx, Options{N: len(running), Concurrency: o.Concurrency, Progress: o.Progress}, "start workflows", func(i int) error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: payout.WorkflowID(running[i].id), TaskQueue: idleQueue,
			WorkflowExecutionTimeout: time.Hour}, "BenchIdle")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("start idle workflows: %w", err)
	}
	open, err := s.ingest(ctx, o, variantRunning, running)
	if err != nil {
		return nil, err
	}
	return []WebhookResult{closed, open}, nil
}

type webhookTarget struct{ id, uuid string }

// webhookTargets picks paid payouts, which all have a Heleket uuid.
func (s *scaleEnv) webhookTargets(ctx context.Context, n int) ([]webhookTarget, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, heleket_uuid FROM payouts WHERE status = 'paid' ORDER BY id LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("pick webhook targets: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhookTarget, error) {
		var t webhookTarget
		return t, r.Scan(&t.id, &t.uuid)
	})
	if err != nil {
		return nil, fmt.Errorf("pick webhook targets: %w", err)
	}
	if len(out) < n {
		return nil, fmt.Errorf("pick webhook targets: %d paid payouts, %d needed; fill more rows or send fewer webhooks", len(out), n)
	}
	return out, nil
}

func (s *scaleEnv) ingest(ctx context.Context, o ScaleOptions, variant string, targets []webhookTarget) (WebhookResult, error) {
	bodies := make([][]byte, len(targets))
	for i, t := range targets {
		bodies[i] = signedWebhook(t)
	}
	res := WebhookResult{Variant: variant, Webhooks: len(targets), Concurrency: o.Concurrency, Answers: map[string]int{}}
	times := make([]time.Duration, len(targets))
	var mu sync.Mutex
	before := s.sql.n.Load()
	elapsed, err := pool(ctx, Options{N: len(targets), Concurrency: o.Concurrency, Progress: o.Progress}, "webhooks", func(i int) error {
		began := time.Now()
		answer, err := s.postWebhook(ctx, bodies[i])
		if err != nil {
			return err
		}
		times[i] = time.Since(began)
		mu.Lock()
		defer mu.Unlock()
		res.Answers[answer]++
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("webhooks (%s): %w", variant, err)
	}
	sorted := sortedCopy(times)
	res.PerSec = float64(len(targets)) / elapsed.Seconds()
	res.P50Ms, res.P99Ms = percentile(sorted, .5), percentile(sorted, .99)
	res.SQLPerWebhook = float64(s.sql.n.Load()-before) / float64(len(targets))
	return res, nil
}

// signedWebhook is a payout webhook as Heleket sends it: PHP's JSON
// encoding with the sign added last (see e2e's signedWebhook).
func signedWebhook(t webhookTarget) []byte {
	payload := fmt.Sprintf(`{"type":"payout","uuid":%q,"order_id":%q,"amount":"7.00000000","merchant_amount":"7.00000000","commission":"1.00000000","is_final":false,"status":"process","currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"7.00000000"}`,
		t.uuid, t.id)
	return []byte(payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), benchKey) + `"}`)
}

func (s *scaleEnv) postWebhook(ctx context.Context, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+"/payouts/webhook", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST webhook: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", errors.Join(fmt.Errorf("POST webhook: HTTP %d %s", resp.StatusCode, out.Error), err)
	}
	return out.Status, nil
}
