// Package views is how payouts and campaigns are shown outside: by the
// HTTP API, the console and the outbound events, one shape for all.
package views

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// Payout is a payout as the API and its outbound events show it: the address masked, amounts
// as strings.
type Payout struct {
	ID            string           `json:"id"`
	ClientID      string           `json:"client_id"`
	Asset         string           `json:"asset"`
	Network       string           `json:"network"`
	Amount        string           `json:"amount"`
	Address       string           `json:"address_masked"`
	Memo          string           `json:"memo,omitempty"`
	Origin        payout.Origin    `json:"origin"`
	Status        payout.Status    `json:"status"`
	IsSubtract    bool             `json:"is_subtract"`
	HeleketUUID   *string          `json:"heleket_uuid"`
	TxID          *string          `json:"txid"`
	Commission    *decimal.Decimal `json:"commission"`
	FailureReason string           `json:"failure_reason,omitempty"`
	// NeedsAttention is always shown: false is an answer too.
	NeedsAttention bool `json:"needs_attention"`
	// WaitingFor says what a held payout waits for and who can release it.
	WaitingFor *payout.Waiting `json:"waiting_for,omitempty"`
	// RetryOf is the payout this one retries, RetriedAs the one retrying
	// it; null when there is none.
	RetryOf     *string    `json:"retry_of"`
	RetriedAs   *string    `json:"retried_as"`
	RequestedBy string     `json:"requested_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	FinalizedAt *time.Time `json:"finalized_at"`
}

func NewPayout(p payout.Payout) Payout {
	v := Payout{
		ID: p.ID, ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Amount: p.Amount.String(),
		Address: payout.MaskAddress(p.Address), Memo: p.Memo, Origin: p.Origin, Status: p.Status, IsSubtract: p.IsSubtract,
		HeleketUUID: optional(p.HeleketUUID), TxID: optional(p.TxID), FailureReason: p.FailureReason,
		NeedsAttention: p.NeedsAttention, RequestedBy: p.RequestedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		FinalizedAt: p.FinalizedAt, WaitingFor: p.WaitingFor, RetryOf: optional(p.RetryOf), RetriedAs: optional(p.RetriedAs),
	}
	if p.Commission.Valid {
		v.Commission = &p.Commission.Decimal
	}
	return v
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// maskAddress keeps just enough of a wallet address for an operator to
// recognise it.
func maskAddress(a string) string { return payout.MaskAddress(a) }

// Batch is a batch's progress. Amounts are strings and are summed per
// asset only: adding USDT to BTC means nothing.
type Batch struct {
	ID          string                `json:"id"`
	State       store.BatchState      `json:"state"`
	WaitingFor  *payout.Waiting       `json:"waiting_for,omitempty"`
	Rows        int                   `json:"rows"`
	RequestedBy string                `json:"requested_by"`
	CreatedAt   time.Time             `json:"created_at"`
	NotStarted  int                   `json:"not_started"`
	Final       int                   `json:"final"`
	Done        bool                  `json:"done"`
	Statuses    map[payout.Status]int `json:"statuses"`
	Assets      map[string]BatchAsset `json:"assets"`
}

type BatchAsset struct {
	Rows     int                      `json:"rows"`
	Amount   string                   `json:"amount"`
	ByStatus map[payout.Status]string `json:"by_status"`
}

// NewBatch sums a batch per status and per asset.
func NewBatch(sum store.BatchSummary) Batch {
	v := Batch{ID: sum.ID, State: sum.State, WaitingFor: sum.WaitingFor, Rows: sum.RowCount, RequestedBy: sum.RequestedBy, CreatedAt: sum.CreatedAt,
		Statuses: map[payout.Status]int{}, Assets: map[string]BatchAsset{}}
	totals := map[string]decimal.Decimal{}
	for _, g := range sum.Groups {
		v.NotStarted += g.NotStarted
		v.Statuses[g.Status] += g.Count
		if g.Status.Final() {
			v.Final += g.Count
		}
		a := v.Assets[g.Asset]
		if a.ByStatus == nil {
			a.ByStatus = map[payout.Status]string{}
		}
		a.Rows += g.Count
		a.ByStatus[g.Status] = g.Amount.String()
		totals[g.Asset] = totals[g.Asset].Add(g.Amount)
		v.Assets[g.Asset] = a
	}
	for asset, total := range totals {
		a := v.Assets[asset]
		a.Amount = total.String()
		v.Assets[asset] = a
	}
	v.Done = v.Final == v.Rows
	return v
}
