package store

import (
	"context"
	"fmt"
	"time"

	"github.com/heleket-payouts/payouts/metrics"
)

// Backlog reads what the alert rules watch that only the database knows.
// Stuck are open payouts created before stuckBefore that are not held on
// purpose (awaiting approval or funds): their workflow should have finished
// them by now. Campaign rows not started yet are left out, as in
// OpenPayouts: they wait for their campaign, not for a workflow. Open
// payouts are counted over payouts_open_idx and flagged ones over
// payouts_attention_created_idx: both partial, so the cost follows the open
// and flagged sets, not the table.
func (s *Store) Backlog(ctx context.Context, stuckBefore time.Time) (metrics.Backlog, error) {
	var b metrics.Backlog
	var last *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT
			count(*) FILTER (WHERE status NOT IN ('awaiting_approval', 'awaiting_funds') AND created_at < $1),
			count(*) FILTER (WHERE status = 'awaiting_approval'),
			count(*) FILTER (WHERE status = 'awaiting_funds'),
			-- Final payouts too: a paid one reconciliation disputes needs a person as well.
			(SELECT count(*) FROM payouts WHERE needs_attention),
			(SELECT finished_at FROM reconciliation_runs WHERE status = 'succeeded'
				ORDER BY requested_at DESC, id DESC LIMIT 1)
		FROM payouts
		WHERE status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')
			AND NOT EXISTS (SELECT 1 FROM payout_batch_items i WHERE i.payout_id = payouts.id AND i.started_at IS NULL)`,
		stuckBefore).Scan(&b.Stuck, &b.AwaitingApproval, &b.AwaitingFunds, &b.NeedsAttention, &last)
	if err != nil {
		return metrics.Backlog{}, fmt.Errorf("store: backlog: %w", err)
	}
	if last != nil {
		b.LastReconciled = *last
	}
	return b, nil
}
