// Package workflows holds the Temporal workflows. Workflow code is
// deterministic: everything that touches the world is an activity.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/payout"
)

// Names shared by the workflow, the API (signals, queries) and the starter.
const (
	TaskQueue           = "payouts"
	PayoutWorkflowName  = "Payout"
	SignalHeleketUpdate = "heleket-update"
	QueryState          = "state"
	UpdateApprove       = "approve"
	UpdateReject        = "reject"
	UpdateCancel        = "cancel"
)

// Decision is the argument of the approve, reject and cancel updates.
type Decision struct {
	Actor  string `json:"actor"` // the admin's name from ADMIN_TOKENS
	Reason string `json:"reason,omitempty"`
}

// Search attributes registered by the dev server (and by the deployment's
// registration step). Never addresses or amounts: visibility is not
// encrypted.
var (
	AttrStatus         = temporal.NewSearchAttributeKeyKeyword("PayoutStatus")
	AttrClientID       = temporal.NewSearchAttributeKeyKeyword("PayoutClientID")
	AttrAsset          = temporal.NewSearchAttributeKeyKeyword("PayoutAsset")
	AttrNetwork        = temporal.NewSearchAttributeKeyKeyword("PayoutNetwork")
	AttrOrigin         = temporal.NewSearchAttributeKeyKeyword("PayoutOrigin")
	AttrNeedsAttention = temporal.NewSearchAttributeKeyBool("PayoutNeedsAttention")
)

// Timing controls how long a payout waits for Heleket. It travels in the
// workflow input so a configuration change never alters a running
// workflow's replay.
type Timing struct {
	WebhookWait time.Duration `json:"webhook_wait"`
	PollInitial time.Duration `json:"poll_initial"`
	PollMax     time.Duration `json:"poll_max"`
	// ApprovalTimeout is how long a payout waits for a second admin before
	// it expires.
	ApprovalTimeout time.Duration `json:"approval_timeout,omitempty"`
	// FundsWait is how long a payout waits in awaiting_funds before it
	// fails (PAYOUT_FUNDS_WAIT); zero is 72h.
	FundsWait time.Duration `json:"funds_wait,omitempty"`
}

// PayoutInput starts (or continues) a payout workflow.
type PayoutInput struct {
	Payout payout.Payout `json:"payout"`
	Timing Timing        `json:"timing"`
	// Persisted says Payout is the stored row (the API, a batch or
	// reconciliation stored it first), so the workflow need not write it.
	Persisted bool `json:"persisted,omitempty"`
	// Pending carries Heleket updates received but not yet handled when the
	// previous run continued as new.
	Pending []payout.HeleketUpdate `json:"pending,omitempty"`
	// Polls and Webhooks count across continue-as-new runs; Polling says the
	// webhook wait is over and the next poll interval to use.
	Polls        int           `json:"polls,omitempty"`
	Webhooks     int           `json:"webhooks,omitempty"`
	PollInterval time.Duration `json:"poll_interval,omitempty"`
	// MaxHistory bounds one run's history before it continues as new; 0
	// is the default of 2000 events. Tests set a low one to make a run
	// continue as new cheaply; it carries over to the continued runs.
	MaxHistory int `json:"max_history,omitempty"`
	// FundsDeadline is when a payout awaiting funds fails; it carries the
	// deadline across continue-as-new (zero: not awaiting funds yet).
	FundsDeadline time.Time `json:"funds_deadline,omitempty"`
}

// PayoutState answers the "state" query.
type PayoutState struct {
	PayoutID      string        `json:"payout_id"`
	Status        payout.Status `json:"status"`
	Phase         string        `json:"phase"`
	HeleketUUID   string        `json:"heleket_uuid,omitempty"`
	HeleketStatus string        `json:"heleket_status,omitempty"`
	Webhooks      int           `json:"webhooks"`
	Polls         int           `json:"polls"`
	FailureReason string        `json:"failure_reason,omitempty"`
	// Retry is set while a call to Heleket keeps failing: which call, how
	// many attempts failed, the last error and when the next one is.
	Retry *CallRetry `json:"retry,omitempty"`
}

// CallRetry describes a failing call that the workflow retries.
type CallRetry struct {
	Call          string    `json:"call"`
	Attempts      int       `json:"attempts"`
	LastError     string    `json:"last_error"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
}

// Summary is the one-line description shown in the Temporal UI. Amounts are
// fine here (user metadata goes through the payload codec); addresses are not.
func Summary(p payout.Payout) string {
	return fmt.Sprintf("%s %s on %s for client %s — %s", p.Asset, p.Amount.String(), p.Network, p.ClientID, p.Origin)
}

// MemoFingerprint is the memo field of a payout's workflow that holds
// payout.Fingerprint: a start that finds the workflow running joins it only
// when the fingerprint is its own (starter.Start).
const MemoFingerprint = "payout_fingerprint"

// PayoutMemo is the memo of a payout's workflow; none without an
// installation (schedules created before installation IDs existed).
func PayoutMemo(installation string, p payout.Payout) map[string]any {
	if installation == "" {
		return nil
	}
	return map[string]any{MemoFingerprint: payout.Fingerprint(installation, p)}
}

// SearchAttributes are the visibility fields of a payout.
func SearchAttributes(p payout.Payout) []temporal.SearchAttributeUpdate {
	return []temporal.SearchAttributeUpdate{
		AttrStatus.ValueSet(string(p.Status)),
		AttrClientID.ValueSet(p.ClientID),
		AttrAsset.ValueSet(p.Asset),
		AttrNetwork.ValueSet(p.Network),
		AttrOrigin.ValueSet(string(p.Origin)),
	}
}
