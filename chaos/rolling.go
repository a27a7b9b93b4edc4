package chaos

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/payout"
)

// Approve approves a held payout (POST /payouts/{id}/approve).
func (c *Client) Approve(ctx context.Context, id string) error {
	var out struct {
		Status string `json:"status"`
	}
	return c.call(ctx, http.MethodPost, "/payouts/"+id+"/approve", http.StatusOK, &out)
}

// HasVersionMarker reports whether the payout's workflow (its latest run)
// recorded a GetVersion marker for changeID: the run took the changed
// path, not only replayed past it.
func (s *Stack) HasVersionMarker(ctx context.Context, payoutID, changeID string) (bool, error) {
	it := s.Temporal.GetWorkflowHistory(ctx, payout.WorkflowID(payoutID), "", false,
		enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	return hasMarker(it, changeID)
}

func hasMarker(it client.HistoryEventIterator, changeID string) (bool, error) {
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return false, fmt.Errorf("workflow history: %w", err)
		}
		m := ev.GetMarkerRecordedEventAttributes()
		if m == nil || m.GetMarkerName() != "Version" {
			continue
		}
		for _, p := range m.GetDetails()["change-id"].GetPayloads() {
			if strings.Contains(string(p.GetData()), changeID) {
				return true, nil
			}
		}
	}
	return false, nil
}
