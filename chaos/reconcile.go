package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

// RunResult is GET /reconciliation/runs/{id}.
type RunResult struct {
	store.Run
	Discrepancies     []store.Discrepancy `json:"discrepancies"`
	MoreDiscrepancies bool                `json:"more_discrepancies"`
}

// Reconcile triggers a reconciliation run through the API, as an admin
// would, and waits for it to end, at most attempts polls.
func (c *Client) Reconcile(ctx context.Context, attempts int) (RunResult, error) {
	var trig struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/payouts/reconcile", http.StatusAccepted, &trig); err != nil {
		return RunResult{}, fmt.Errorf("trigger reconciliation: %w", err)
	}
	var run RunResult
	for range attempts {
		if err := c.call(ctx, http.MethodGet, "/reconciliation/runs/"+trig.ID, http.StatusOK, &run); err != nil {
			return RunResult{}, fmt.Errorf("reconciliation run %s: %w", trig.ID, err)
		}
		switch run.Status {
		case reconcile.StatusSucceeded, reconcile.StatusFailed, reconcile.StatusSkipped:
			return run, nil
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			break
		}
	}
	return run, fmt.Errorf("reconciliation run %s still %s after %d polls", trig.ID, run.Status, attempts)
}

func (c *Client) call(ctx context.Context, method, path string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

// CheckReconciliation: with everything settled, the run must succeed and
// find nothing but the failures the plan forced, which reconciliation
// reports (payout_failed) so that someone looks at them. open is every
// unresolved discrepancy in the database, whichever run found it.
func CheckReconciliation(plan Plan, run RunResult, open []store.Discrepancy) []string {
	var out []string
	if run.Status != reconcile.StatusSucceeded {
		out = append(out, fmt.Sprintf("reconciliation run %s ended %s: %s", run.ID, run.Status, run.Error))
	}
	c := run.Counts
	repairs := map[string]int{"orphans": c.Orphans, "missing at Heleket": c.MissingAtHeleket,
		"status mismatches": c.StatusMismatches, "terms mismatches": c.TermsMismatches, "stuck": c.Stuck,
		"Heleket ahead": c.HeleketAhead, "resumed": c.Resumed}
	for _, name := range sortedKeys(repairs) {
		if repairs[name] != 0 {
			out = append(out, fmt.Sprintf("reconciliation counted %d %s", repairs[name], name))
		}
	}
	failed := map[string]bool{}
	for _, it := range plan.Items {
		if it.WantFail {
			failed[it.ID] = true
		}
	}
	out = append(out, unexpected("run "+run.ID, run.Discrepancies, failed)...)
	out = append(out, unexpected("open", open, failed)...)
	reported := 0
	for _, d := range open {
		if d.Kind == reconcile.KindPayoutFailed && failed[d.OrderID] {
			reported++
		}
	}
	if reported != len(failed) {
		out = append(out, fmt.Sprintf("%d payouts were forced to fail; reconciliation reports %d", len(failed), reported))
	}
	return out
}

// unexpected lists the discrepancies that are not a forced failure.
func unexpected(where string, ds []store.Discrepancy, failed map[string]bool) []string {
	var out []string
	for _, d := range ds {
		if d.Kind != reconcile.KindPayoutFailed || !failed[d.OrderID] {
			out = append(out, fmt.Sprintf("discrepancy (%s): %s %s: %s", where, d.Kind, d.OrderID, d.Reason))
		}
	}
	return out
}
