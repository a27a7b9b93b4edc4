package payout

import (
	"time"

	"github.com/shopspring/decimal"
)

// Payout is the record of one payout as the product keeps it in Postgres.
type Payout struct {
	ID             string              `json:"id"`
	ClientID       string              `json:"client_id"`
	Asset          string              `json:"asset"`
	Network        string              `json:"network"`
	Amount         decimal.Decimal     `json:"amount"`
	Address        string              `json:"address"` // the API masks it; Temporal payloads carry it (see the payload codec)
	Memo           string              `json:"memo,omitempty"`
	Origin         Origin              `json:"origin"`
	Status         Status              `json:"status"`
	IsSubtract     bool                `json:"is_subtract"` // fee policy: true = fee from the merchant balance
	HeleketUUID    string              `json:"heleket_uuid"`
	TxID           string              `json:"txid"`
	Commission     decimal.NullDecimal `json:"commission"`
	FailureReason  string              `json:"failure_reason,omitempty"`
	NeedsAttention bool                `json:"needs_attention,omitempty"` // flagged for a human; not a status
	WaitingFor     *Waiting            `json:"waiting_for,omitempty"`     // set while held: approval, destination, funds
	// RetryOf is the failed, rejected or expired payout this one retries;
	// RetriedAs the payout that retries this one. Both empty when unlinked.
	RetryOf        string     `json:"retry_of,omitempty"`
	RetriedAs      string     `json:"retried_as,omitempty"`
	RequestedBy    string     `json:"requested_by"`
	IdempotencyKey string     `json:"idempotency_key"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinalizedAt    *time.Time `json:"finalized_at,omitempty"`
}

// Event is one audit row: a status change and who caused it.
type Event struct {
	ID       int64          `json:"id"`
	PayoutID string         `json:"payout_id"`
	From     Status         `json:"from_status"` // empty for the creation row
	To       Status         `json:"to_status"`
	Source   Source         `json:"source"`
	Actor    string         `json:"actor,omitempty"`
	Details  map[string]any `json:"details,omitempty"`
	At       time.Time      `json:"at"`
}

// Change is a requested status change together with the facts that came
// with it. Empty fields leave the stored values unchanged.
type Change struct {
	PayoutID      string
	To            Status
	Source        Source
	Actor         string
	HeleketUUID   string
	TxID          string
	Commission    decimal.NullDecimal
	FailureReason string
	// WaitingFor is what the new status waits for; nil clears it.
	WaitingFor *Waiting
	Details    map[string]any
}
