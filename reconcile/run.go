package reconcile

import "time"

// Status is a reconciliation run's state.
type Status string

const (
	// StatusPending: triggered, the worker has not begun it yet.
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	// StatusSkipped: another run held the lease when this one began.
	StatusSkipped Status = "skipped"
)

// Phase is the step a run is in. A run walks them in this order.
type Phase string

const (
	PhaseBegin   Phase = "begin"
	PhaseHeleket Phase = "heleket" // Heleket's payout history in the window
	PhaseOpen    Phase = "open"    // every non-final payout in Postgres
	PhaseFailed  Phase = "failed"  // payouts that failed in the window, for alerts
	PhaseFinish  Phase = "finish"  // auto-resolution and the summary
	PhaseDone    Phase = "done"
)

// Window is the span of Heleket history a run reads, by created_at.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Counts are a run's running totals. Each Heleket item and each open payout
// gets exactly one class; Stuck, FailedPayouts and the alert counters are
// extra marks.
type Counts struct {
	HeleketItems     int `json:"heleket_items"`
	OpenPayouts      int `json:"open_payouts"`
	Matched          int `json:"matched"`
	HeleketAhead     int `json:"heleket_ahead"`
	Resumed          int `json:"resumed"`
	InFlight         int `json:"in_flight"`
	Orphans          int `json:"orphans"`
	MissingAtHeleket int `json:"missing_at_heleket"`
	StatusMismatches int `json:"status_mismatches"`
	TermsMismatches  int `json:"terms_mismatches"`
	Stuck            int `json:"stuck"`
	FailedPayouts    int `json:"failed_payouts"`
	NewDiscrepancies int `json:"new_discrepancies"`
	Resolved         int `json:"resolved"`
	AlertsSent       int `json:"alerts_sent"`
	AlertsFailed     int `json:"alerts_failed"`
}

// Add counts one class.
func (c *Counts) Add(class Class) {
	switch class {
	case ClassMatched:
		c.Matched++
	case ClassAhead:
		c.HeleketAhead++
	case ClassOrphan:
		c.Orphans++
	case ClassMissing:
		c.MissingAtHeleket++
	case ClassStatusMismatch:
		c.StatusMismatches++
	case ClassTermsMismatch:
		c.TermsMismatches++
	}
}

// Begin asks to begin a run.
type Begin struct {
	RunID   string `json:"run_id"`
	Trigger string `json:"trigger"` // "schedule" or "admin:<name>", "cli"
}

// Begun is what beginning a run decides.
type Begun struct {
	RunID  string `json:"run_id"`
	Status Status `json:"status"` // running, or skipped/final when it must not proceed
	Window Window `json:"window"`
	// HeldBy is the run that held the lease when this one was skipped.
	HeldBy string `json:"held_by,omitempty"`
}

// Batch asks an activity to continue a phase from a position. Counts are
// the totals so far; the activity returns them with its batch added, and
// writes them to the run row so the API shows live progress.
type Batch struct {
	RunID  string `json:"run_id"`
	Window Window `json:"window"`
	Phase  Phase  `json:"phase"`
	// Cursor is Heleket's list cursor (heleket phase) or the last payout ID
	// handled (open and failed phases).
	Cursor string `json:"cursor,omitempty"`
	Counts Counts `json:"counts"`
}

// BatchResult is where a batch stopped. Done means the phase is complete.
type BatchResult struct {
	Cursor string `json:"cursor,omitempty"`
	Done   bool   `json:"done"`
	Counts Counts `json:"counts"`
}

// Finish closes a run.
type Finish struct {
	RunID  string `json:"run_id"`
	Status Status `json:"status"`
	Counts Counts `json:"counts"`
	Error  string `json:"error,omitempty"`
}
