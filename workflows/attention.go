package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// SignalNeedsAttention flags a running payout for a human. Search
// attributes can only be changed from inside a workflow, so reconciliation
// asks the workflow to set PayoutNeedsAttention itself.
const SignalNeedsAttention = "needs-attention"

// Attention is the argument of SignalNeedsAttention.
type Attention struct {
	Reason string `json:"reason"`
}

// WatchAttention sets PayoutNeedsAttention when the signal arrives. It runs
// in its own coroutine so it works whatever the payout is waiting on, and it
// adds no history events until a signal comes, which keeps older histories
// replaying.
func WatchAttention(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalNeedsAttention)
	workflow.Go(ctx, func(ctx workflow.Context) {
		flagged := false
		for {
			var a Attention
			ch.Receive(ctx, &a)
			if flagged {
				continue
			}
			if err := workflow.UpsertTypedSearchAttributes(ctx, AttrNeedsAttention.ValueSet(true)); err != nil {
				workflow.GetLogger(ctx).Error("flag payout for attention", "error", err)
				continue
			}
			flagged = true
			workflow.GetLogger(ctx).Info("payout flagged for attention", "reason", a.Reason)
		}
	})
}
