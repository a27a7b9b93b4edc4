package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	randv2 "math/rand/v2"
	"net/http"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/workflows"
)

// Campaign is a bonus campaign the run posts (POST /payouts/batch): its
// rows, and one Item per row so that the invariants check its payouts like
// any other.
type Campaign struct {
	Key   string
	ID    string // the batch ID the API must derive
	Rows  []batch.Row
	Items []Item
}

// NewCampaign draws n rows from seed; every failEvery-th row (none when 0)
// goes to one of failAddresses, which the sandbox fails. Item indexes start
// at first, so they stay apart from the single payouts' in one plan.
func NewCampaign(installation string, seed int64, key string, n, first, failEvery int, failAddresses []string) Campaign {
	rng := rand.New(rand.NewSource(seed + 7))
	c := Campaign{Key: key, ID: batch.ID(installation, key)}
	for i := range n {
		r := routes[rng.Intn(len(routes))]
		row := batch.Row{ClientID: fmt.Sprintf("camp-%d", i%13), Asset: r.asset, Network: r.network, Address: r.address(rng),
			Amount: fmt.Sprintf("%d.%02d", r.min+rng.Intn(r.max-r.min), rng.Intn(100))}
		wantFail := failEvery > 0 && len(failAddresses) > 0 && i%failEvery == failEvery/2
		if wantFail {
			row.Asset, row.Network, row.Address = "USDT", "tron", failAddresses[i%len(failAddresses)]
		}
		c.Rows = append(c.Rows, row)
		c.Items = append(c.Items, Item{Index: first + i, ClientID: row.ClientID, Key: key, Asset: row.Asset,
			Network: row.Network, Amount: row.Amount, Address: row.Address, WantFail: wantFail,
			ID: batch.PayoutID(installation, key, row.ClientID, i)})
	}
	return c
}

// Failing is how many of the campaign's rows must fail.
func (c Campaign) Failing() int {
	n := 0
	for _, it := range c.Items {
		if it.WantFail {
			n++
		}
	}
	return n
}

// BatchView is GET /payouts/batches/{id} (and the 202 of POST /payouts/batch).
type BatchView struct {
	ID         string         `json:"id"`
	State      string         `json:"state"`
	Rows       int            `json:"rows"`
	NotStarted int            `json:"not_started"`
	Final      int            `json:"final"`
	Done       bool           `json:"done"`
	Statuses   map[string]int `json:"statuses"`
}

// CampaignResult is what posting a campaign took.
type CampaignResult struct {
	Batch    BatchView
	Attempts int
	Replayed bool // the accepted answer was a replay of an earlier attempt
}

// CreateCampaign posts the campaign until it is accepted, as a careful
// client does: a transport error or a 5xx is sent again with the same
// Idempotency-Key; any other answer but 202 ends the retries.
func (c *Client) CreateCampaign(ctx context.Context, camp Campaign) (CampaignResult, error) {
	body, err := json.Marshal(camp.Rows)
	if err != nil {
		return CampaignResult{}, err
	}
	backoff := 50 * time.Millisecond
	var last string
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		res, retry, err := c.tryCampaign(ctx, camp.Key, body)
		if err == nil {
			res.Attempts = attempt
			return res, nil
		}
		if !retry {
			return CampaignResult{}, err
		}
		last = err.Error()
		if !sleepCtx(ctx, backoff/2+randv2.N(backoff)) {
			return CampaignResult{}, fmt.Errorf("campaign %s: %w (last error: %s)", camp.Key, ctx.Err(), last)
		}
		backoff = min(backoff*2, time.Second)
	}
	return CampaignResult{}, fmt.Errorf("campaign %s: not accepted after %d attempts; last error: %s", camp.Key, maxAttempts, last)
}

func (c *Client) tryCampaign(ctx context.Context, key string, body []byte) (CampaignResult, bool, error) {
	c.attempts.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+"/payouts/batch", bytes.NewReader(body))
	if err != nil {
		return CampaignResult{}, false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.transportErrs.Add(1)
		return CampaignResult{}, true, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.transportErrs.Add(1)
		return CampaignResult{}, true, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 500 {
		c.serverErrs.Add(1)
		return CampaignResult{}, true, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	if resp.StatusCode != http.StatusAccepted {
		return CampaignResult{}, false, fmt.Errorf("campaign %s: HTTP %d: %s", key, resp.StatusCode, bytes.TrimSpace(raw))
	}
	var res CampaignResult
	if err := json.Unmarshal(raw, &res.Batch); err != nil {
		return CampaignResult{}, false, fmt.Errorf("campaign %s: 202 with an unreadable body: %w", key, err)
	}
	res.Replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	return res, false, nil
}

// Batch reads a campaign's progress through the API.
func (c *Client) Batch(ctx context.Context, id string) (BatchView, error) {
	var v BatchView
	err := c.call(ctx, http.MethodGet, "/payouts/batches/"+id, http.StatusOK, &v)
	return v, err
}

// BatchRowsStarted counts the campaign's rows recorded started, straight
// from Postgres.
func (s *Stack) BatchRowsStarted(ctx context.Context, batchID string) (int, error) {
	var n int
	err := s.Store.Pool().QueryRow(ctx,
		`SELECT count(*) FROM payout_batch_items WHERE batch_id = $1 AND started_at IS NOT NULL`, batchID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count started rows of batch %s: %w", batchID, err)
	}
	return n, nil
}

// WaitBatchWorkflow waits, at most attempts looks, for the campaign's
// workflow to close, and returns how it closed and what it reported.
func (s *Stack) WaitBatchWorkflow(ctx context.Context, batchID string, attempts int) (enums.WorkflowExecutionStatus, error) {
	var status enums.WorkflowExecutionStatus
	for range attempts {
		desc, err := s.Temporal.DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID(batchID), "")
		if err != nil {
			return status, fmt.Errorf("describe the workflow of batch %s: %w", batchID, err)
		}
		status = desc.GetWorkflowExecutionInfo().GetStatus()
		if status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING && status != enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
			return status, nil
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			break
		}
	}
	return status, fmt.Errorf("the workflow of batch %s is still %s", batchID, status)
}

// CheckCampaign: once settled, the campaign's workflow completed, its
// state is started, and every row counts as started and final.
func CheckCampaign(c Campaign, v BatchView, wf enums.WorkflowExecutionStatus) []string {
	var out []string
	if wf != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		out = append(out, fmt.Sprintf("campaign %s: workflow %s, want completed", c.ID, wf))
	}
	if v.ID != c.ID || v.Rows != len(c.Rows) {
		out = append(out, fmt.Sprintf("campaign %s: the API shows batch %q with %d rows, want %d", c.ID, v.ID, v.Rows, len(c.Rows)))
	}
	if v.State != "started" {
		out = append(out, fmt.Sprintf("campaign %s: state %s, want started", c.ID, v.State))
	}
	if v.NotStarted != 0 {
		out = append(out, fmt.Sprintf("campaign %s: %d rows not started once every row is final", c.ID, v.NotStarted))
	}
	if !v.Done || v.Final != len(c.Rows) {
		out = append(out, fmt.Sprintf("campaign %s: %d of %d rows final (done %v)", c.ID, v.Final, len(c.Rows), v.Done))
	}
	return out
}

// WaitAPI waits until the API answers its readiness probe.
func (s *Stack) WaitAPI() error { return s.waitHTTP(s.APIURL+"/readyz", 600) }

// PayoutWorkflows counts the payout workflows Temporal's visibility
// knows, whatever their status. Visibility lags the starts, never leads.
func (s *Stack) PayoutWorkflows(ctx context.Context) (int64, error) {
	resp, err := s.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowType = '%s'", workflows.PayoutWorkflowName)})
	if err != nil {
		return 0, fmt.Errorf("count payout workflows: %w", err)
	}
	return resp.GetCount(), nil
}
