// Package reconcile holds the rules of reconciliation: how a payout as
// Postgres keeps it compares with the same payout at Heleket, what each
// outcome is called and what the run counts. It does no I/O, so the
// workflow, the activities and the API share it.
package reconcile

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

// Class is the outcome of comparing one payout.
type Class string

const (
	// ClassMatched: both sides agree, or Heleket merely lags behind us.
	ClassMatched Class = "matched"
	// ClassAhead: Heleket has a later status; the payout is moved forward.
	ClassAhead Class = "heleket_ahead"
	// ClassUnsubmitted: Heleket does not know a payout we have not sent
	// yet; whether it needs resuming depends on its workflow.
	ClassUnsubmitted Class = "unsubmitted"
	// ClassOrphan: Heleket has a payout Postgres does not know.
	ClassOrphan Class = "orphan"
	// ClassMissing: we think Heleket has the payout, Heleket does not.
	ClassMissing Class = "missing_at_heleket"
	// ClassStatusMismatch: the two sides disagree in a way no forward move
	// repairs (e.g. cancelled here, paid at Heleket).
	ClassStatusMismatch Class = "status_mismatch"
	// ClassTermsMismatch: asset, network or amount differ.
	ClassTermsMismatch Class = "terms_mismatch"
)

// Kind is the kind of a recorded discrepancy; a discrepancy is unique per
// kind and order_id.
type Kind string

const (
	KindOrphan         Kind = "orphan"
	KindStuck          Kind = "stuck"
	KindMissing        Kind = "missing_at_heleket"
	KindStatusMismatch Kind = "status_mismatch"
	KindTermsMismatch  Kind = "terms_mismatch"
	KindPayoutFailed   Kind = "payout_failed"
)

// Kinds lists every discrepancy kind (the SQL CHECK mirrors it).
var Kinds = []Kind{KindOrphan, KindStuck, KindMissing, KindStatusMismatch, KindTermsMismatch, KindPayoutFailed}

// KindOf is the discrepancy a class records, if any.
func KindOf(c Class) (Kind, bool) {
	switch c {
	case ClassOrphan:
		return KindOrphan, true
	case ClassMissing:
		return KindMissing, true
	case ClassStatusMismatch:
		return KindStatusMismatch, true
	case ClassTermsMismatch:
		return KindTermsMismatch, true
	}
	return "", false
}

// Theirs is what Heleket says about a payout. Found is false when Heleket
// does not know the order_id.
type Theirs struct {
	Found    bool
	Update   payout.HeleketUpdate
	Currency string
	Network  string
	Amount   decimal.NullDecimal
}

// Verdict is the result of Compare. Target is the status Heleket implies,
// set for ClassAhead.
type Verdict struct {
	Class  Class
	Target payout.Status
	Reason string
}

// Compare classifies a payout we have against what Heleket says. A status
// read from Heleket's API is authoritative, so a final status there is
// taken as is; only backward or sideways moves are refused.
func Compare(ours payout.Payout, theirs Theirs) Verdict {
	if !theirs.Found {
		return compareUnknown(ours)
	}
	if reason, ok := sameTerms(ours, theirs); !ok {
		return Verdict{Class: ClassTermsMismatch, Reason: reason}
	}
	if ours.Status == payout.StatusAwaitingApproval {
		return Verdict{Class: ClassStatusMismatch, Reason: "Heleket has a payout still awaiting approval here"}
	}
	to, ok := payout.FromHeleket(theirs.Update.Status, theirs.Update.Final)
	switch {
	case !ok:
		return Verdict{Class: ClassStatusMismatch, Reason: "unknown Heleket status " + theirs.Update.Status}
	case to == ours.Status:
		return Verdict{Class: ClassMatched}
	case payout.CanTransition(ours.Status, to):
		return Verdict{Class: ClassAhead, Target: to}
	case ours.Status.Final():
		return Verdict{Class: ClassStatusMismatch, Reason: "final here as " + string(ours.Status) + ", " + theirs.Update.Status + " at Heleket"}
	}
	// Heleket behind a non-final status of ours: a list page can be older
	// than the webhook we already recorded.
	return Verdict{Class: ClassMatched}
}

func compareUnknown(ours payout.Payout) Verdict {
	switch ours.Status {
	case payout.StatusRequested, payout.StatusAwaitingApproval, payout.StatusAwaitingFunds:
		// Awaiting funds: Heleket refused the create, so it holds nothing yet.
		return Verdict{Class: ClassUnsubmitted}
	case payout.StatusRejected, payout.StatusCancelled, payout.StatusExpired:
		// Ended before reaching Heleket: both sides agree nothing was sent.
		return Verdict{Class: ClassMatched}
	}
	return Verdict{Class: ClassMissing, Reason: "status " + string(ours.Status) + " here, unknown at Heleket"}
}

func sameTerms(ours payout.Payout, theirs Theirs) (string, bool) {
	if theirs.Currency != "" && !strings.EqualFold(theirs.Currency, ours.Asset) {
		return "asset differs", false
	}
	if theirs.Network != "" && !strings.EqualFold(theirs.Network, ours.Network) {
		return "network differs", false
	}
	if theirs.Amount.Valid && !theirs.Amount.Decimal.Equal(ours.Amount) {
		return "amount differs", false
	}
	return "", true
}

// Stuck reports whether a payout has been open longer than after. Payouts
// awaiting approval or funds are left out: their own expiry deals with
// them, and they said what they wait for when they began.
func Stuck(p payout.Payout, now time.Time, after time.Duration) bool {
	if p.Status.Final() || p.Status == payout.StatusAwaitingApproval || p.Status == payout.StatusAwaitingFunds || after <= 0 {
		return false
	}
	return now.Sub(p.CreatedAt) > after
}
