package payout

// WaitKind is what a held payout waits for.
type WaitKind string

const (
	WaitApproval    WaitKind = "approval"    // a second admin's decision on the amount or totals
	WaitDestination WaitKind = "destination" // a second admin's decision on a new or changed address
	WaitFunds       WaitKind = "funds"       // the merchant balance to cover amount and fee
)

// Waiting says what a held payout waits for, in words an operator can act
// on, and the role that can release it. It is set by the change that puts
// the payout on hold and cleared by the next one.
type Waiting struct {
	Kind   WaitKind `json:"kind"`
	Reason string   `json:"reason"`
	Role   string   `json:"role"`
}
