package chaos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// pollEvery is the gap between two looks at a condition while settling.
const pollEvery = 2 * time.Second

// StatusCounts counts payouts by status in Postgres.
func (s *Stack) StatusCounts(ctx context.Context) (map[payout.Status]int, error) {
	rows, err := s.Store.Pool().Query(ctx, `SELECT status, count(*) FROM payouts GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count payouts by status: %w", err)
	}
	defer rows.Close()
	out := map[payout.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[payout.Status(st)] = n
	}
	return out, rows.Err()
}

// Final counts the payouts in a final status, and the others.
func Final(counts map[payout.Status]int) (final, open int) {
	for st, n := range counts {
		if st.Final() {
			final += n
		} else {
			open += n
		}
	}
	return final, open
}

// WaitFinal waits until at least n payouts are final and none is open,
// printing progress through say, for at most attempts looks.
func (s *Stack) WaitFinal(ctx context.Context, n, attempts int, say func(string, ...any)) error {
	var counts map[payout.Status]int
	for i := range attempts {
		var err error
		if counts, err = s.StatusCounts(ctx); err != nil {
			return err
		}
		final, open := Final(counts)
		if final >= n && open == 0 {
			return nil
		}
		if i%3 == 0 {
			say("settling: %d/%d final (%s)", final, n, formatCounts(counts))
		}
		if !sleepCtx(ctx, pollEvery) {
			break
		}
	}
	return fmt.Errorf("not every payout became final in %s: %s", time.Duration(attempts)*pollEvery, formatCounts(counts))
}

// WaitWorkflowsClosed waits until no payout workflow is running, for at
// most attempts looks.
func (s *Stack) WaitWorkflowsClosed(ctx context.Context, attempts int) error {
	var n int64
	for range attempts {
		var err error
		n, err = s.countWorkflows(ctx, "Running")
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if !sleepCtx(ctx, pollEvery) {
			break
		}
	}
	return fmt.Errorf("%d payout workflows still running", n)
}

// BrokenWorkflows counts payout workflows that ended without completing.
func (s *Stack) BrokenWorkflows(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, status := range []string{"Failed", "Terminated", "TimedOut", "Canceled"} {
		n, err := s.countWorkflows(ctx, status)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[status] = n
		}
	}
	return out, nil
}

func (s *Stack) countWorkflows(ctx context.Context, status string) (int64, error) {
	resp, err := s.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = '%s'", workflows.PayoutWorkflowName, status),
	})
	if err != nil {
		return 0, fmt.Errorf("count %s payout workflows: %w", status, err)
	}
	return resp.GetCount(), nil
}

// Snapshot reads both sides for the invariants.
func (s *Stack) Snapshot(ctx context.Context, plan Plan) (Snapshot, error) {
	stats := s.Sandbox.Stats()
	snap := Snapshot{Plan: plan, Events: map[string][]payout.Event{}, Theirs: s.Sandbox.Payouts(), Stats: stats,
		Initial: map[string]decimal.Decimal{}, Balances: stats.Balances}
	for _, cur := range []string{"USDT", "TRX"} {
		snap.Initial[cur] = InitialBalance
	}
	var err error
	if snap.Ours, err = s.Store.PayoutsByID(ctx, plan.IDs()); err != nil {
		return Snapshot{}, err
	}
	if err := s.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM payouts`).Scan(&snap.Rows); err != nil {
		return Snapshot{}, fmt.Errorf("count payouts: %w", err)
	}
	for id := range snap.Ours {
		if snap.Events[id], err = s.Store.Events(ctx, id); err != nil {
			return Snapshot{}, err
		}
	}
	return snap, nil
}

// Inbox counts the webhooks the API stored and how many of them are not
// marked processed. A webhook is marked after its signal; a connection cut
// in between leaves the mark undone while Heleket, answered 200, sends it
// no more. The payout does not depend on the mark, so this is a figure for
// the summary, not an invariant.
func (s *Stack) Inbox(ctx context.Context) (stored, unprocessed int, err error) {
	err = s.Store.Pool().QueryRow(ctx,
		`SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) FROM webhook_inbox`).Scan(&stored, &unprocessed)
	if err != nil {
		return 0, 0, fmt.Errorf("count webhook inbox: %w", err)
	}
	return stored, unprocessed, nil
}

// OpenDiscrepancies lists every unresolved discrepancy, whichever run
// found it.
func (s *Stack) OpenDiscrepancies(ctx context.Context) ([]store.Discrepancy, error) {
	rows, err := s.Store.Pool().Query(ctx, `
		SELECT run_id, order_id, kind, reason FROM reconciliation_discrepancies WHERE resolved_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("open discrepancies: %w", err)
	}
	defer rows.Close()
	var out []store.Discrepancy
	for rows.Next() {
		var d store.Discrepancy
		var kind string
		if err := rows.Scan(&d.RunID, &d.OrderID, &kind, &d.Reason); err != nil {
			return nil, err
		}
		d.Kind = reconcile.Kind(kind)
		out = append(out, d)
	}
	return out, rows.Err()
}

func formatCounts(counts map[payout.Status]int) string {
	var parts []string
	for _, st := range payout.Statuses {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, counts[st]))
		}
	}
	return strings.Join(parts, ", ")
}
