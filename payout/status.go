// Package payout holds the payout domain: statuses and the transitions
// between them, request validation, money and payout IDs.
package payout

import (
	"strings"

	"github.com/heleket-payouts/payouts/heleket"
)

// Status is a payout's lifecycle state. The names are part of the HTTP API.
type Status string

const (
	StatusRequested  Status = "requested"
	StatusSubmitted  Status = "submitted"
	StatusProcessing Status = "processing"
	StatusVerifying  Status = "verifying"
	StatusPaid       Status = "paid"
	StatusFailed     Status = "failed"
	StatusCancelled  Status = "cancelled"
	StatusRejected   Status = "rejected"
	// Four-eyes approval: a payout above its asset's threshold waits here
	// until a second admin decides; it expires if nobody does.
	StatusAwaitingApproval Status = "awaiting_approval"
	StatusExpired          Status = "expired"
	// Heleket refused the create and the merchant balance is below what
	// the payout debits: held, and submitted again (same order_id) once
	// funds may have arrived, until PAYOUT_FUNDS_WAIT.
	StatusAwaitingFunds Status = "awaiting_funds"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{
	StatusAwaitingApproval, StatusRequested, StatusAwaitingFunds, StatusSubmitted, StatusProcessing, StatusVerifying,
	StatusPaid, StatusFailed, StatusCancelled, StatusRejected, StatusExpired,
}

// FromHeleket maps a Heleket status to ours. A "fail" that Heleket does not
// call final (it may be resent through support) stays in verifying, so the
// payout keeps being followed instead of being closed too early.
func FromHeleket(status string, final bool) (Status, bool) {
	switch strings.ToLower(status) {
	case heleket.StatusProcess:
		return StatusProcessing, true
	case heleket.StatusCheck:
		return StatusVerifying, true
	case heleket.StatusPaid:
		return StatusPaid, true
	case heleket.StatusFail, heleket.StatusSystemFail:
		if !final {
			return StatusVerifying, true
		}
		return StatusFailed, true
	case heleket.StatusCancel:
		return StatusCancelled, true
	}
	return "", false
}

// Origin says what triggered a payout.
type Origin string

const (
	OriginManual    Origin = "manual"
	OriginScheduled Origin = "scheduled"
	OriginBonus     Origin = "bonus"
)

// Valid reports whether o is a known origin.
func (o Origin) Valid() bool {
	switch o {
	case OriginManual, OriginScheduled, OriginBonus:
		return true
	}
	return false
}

// Source says who caused a status change; it is stored on every audit row.
type Source string

const (
	SourceAPI       Source = "api"
	SourceWorkflow  Source = "workflow"
	SourceWebhook   Source = "webhook"
	SourcePoll      Source = "poll"
	SourceReconcile Source = "reconcile"
	SourceAdmin     Source = "admin"
)
