// Package stuck finds payouts whose workflow is still running in a
// non-final status long after it started: the list an operator works
// through. It asks Temporal's visibility store, through the PayoutStatus
// search attribute, so it needs no database access.
package stuck

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Payout is one stuck payout as visibility shows it.
type Payout struct {
	PayoutID   string
	WorkflowID string
	RunID      string
	Status     string
	ClientID   string
	Asset      string
	Network    string
	Origin     string
	Started    time.Time
}

// Options narrow the search.
type Options struct {
	// Before is the cutoff: only runs started earlier count (now minus the
	// threshold).
	Before time.Time
	// TaskQueue, when set, limits the search to one deployment's queue.
	TaskQueue string
}

// Query is the visibility query; the README's saved query is the same
// with a literal time. A payout that continued as new shows its latest
// run's start, which happens only after thousands of events (days of
// polling), so a stuck payout is hidden for at most a threshold after it.
func Query(o Options) string {
	statuses := make([]string, 0, len(payout.Statuses))
	for _, s := range payout.Statuses {
		if !s.Final() {
			statuses = append(statuses, fmt.Sprintf("%q", s))
		}
	}
	q := fmt.Sprintf(`ExecutionStatus = "Running" AND %s IN (%s) AND StartTime < %q`,
		workflows.AttrStatus.GetName(), strings.Join(statuses, ", "), o.Before.UTC().Format(time.RFC3339Nano))
	if o.TaskQueue != "" {
		q += fmt.Sprintf(" AND TaskQueue = %q", o.TaskQueue)
	}
	return q
}

// Find lists the stuck payouts, oldest first.
func Find(ctx context.Context, c client.Client, o Options) ([]Payout, error) {
	var out []Payout
	req := &workflowservice.ListWorkflowExecutionsRequest{Query: Query(o), PageSize: 500}
	for {
		resp, err := c.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list stuck payouts: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			out = append(out, fromExecution(e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(),
				e.GetStartTime().AsTime(), e.GetSearchAttributes().GetIndexedFields()))
		}
		if len(resp.GetNextPageToken()) == 0 {
			break
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
	slices.SortFunc(out, func(a, b Payout) int { return a.Started.Compare(b.Started) })
	return out, nil
}

func fromExecution(wfID, runID string, started time.Time, sa map[string]*commonpb.Payload) Payout {
	return Payout{
		PayoutID:   strings.TrimPrefix(wfID, payout.WorkflowID("")),
		WorkflowID: wfID, RunID: runID, Started: started,
		Status:   keyword(sa, workflows.AttrStatus.GetName()),
		ClientID: keyword(sa, workflows.AttrClientID.GetName()),
		Asset:    keyword(sa, workflows.AttrAsset.GetName()),
		Network:  keyword(sa, workflows.AttrNetwork.GetName()),
		Origin:   keyword(sa, workflows.AttrOrigin.GetName()),
	}
}

// keyword reads a Keyword search attribute; search attributes are never
// encrypted, so the default converter reads them.
func keyword(sa map[string]*commonpb.Payload, name string) string {
	p, ok := sa[name]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return "?"
	}
	return s
}

// Link is the payout's page in the Temporal UI.
func Link(uiURL, namespace, workflowID string) string {
	return strings.TrimRight(uiURL, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// Print writes the list as a table.
func Print(w io.Writer, list []Payout, now time.Time, uiURL, namespace string) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no stuck payouts")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAYOUT\tSTATUS\tCLIENT\tASSET\tNETWORK\tAGE\tUI")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.PayoutID, p.Status, p.ClientID, p.Asset, p.Network,
			now.Sub(p.Started).Truncate(time.Second), Link(uiURL, namespace, p.WorkflowID))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print stuck payouts: %w", err)
	}
	return nil
}
