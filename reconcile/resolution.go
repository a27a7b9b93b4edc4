package reconcile

import "slices"

// Resolution is how an operator closed a discrepancy.
type Resolution string

const (
	// ResolutionFixed: the cause was corrected (at Heleket, in our data,
	// or by paying again), nothing is left to do.
	ResolutionFixed Resolution = "fixed"
	// ResolutionAccepted: the difference is real and stays (written off,
	// booked by hand); the note says why that is fine.
	ResolutionAccepted Resolution = "accepted"
	// ResolutionFalsePositive: there was no real difference (a late
	// listing, a known test payout).
	ResolutionFalsePositive Resolution = "false_positive"
)

// Resolutions lists what an operator may resolve a discrepancy as.
var Resolutions = []Resolution{ResolutionFixed, ResolutionAccepted, ResolutionFalsePositive}

// Valid says whether r is one of Resolutions.
func (r Resolution) Valid() bool { return slices.Contains(Resolutions, r) }
