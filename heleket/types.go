package heleket

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Heleket payout statuses as they appear on the wire.
const (
	StatusProcess    = "process"
	StatusCheck      = "check"
	StatusPaid       = "paid"
	StatusFail       = "fail"
	StatusCancel     = "cancel"
	StatusSystemFail = "system_fail"
)

// IsFinalStatus is the fallback used when a payload carries no is_final
// flag. Heleket's examples and relays do not agree on case ("PAID",
// "Paid"), and reading a final word as non-final would leave a payout
// waiting for ever, so the comparison ignores case and surrounding space.
func IsFinalStatus(status string) bool {
	switch NormalizeStatus(status) {
	case StatusPaid, StatusFail, StatusCancel, StatusSystemFail:
		return true
	}
	return false
}

// NormalizeStatus returns a status word in the lower case the Status
// constants use, so callers can compare with ==.
func NormalizeStatus(status string) string {
	return strings.ToLower(strings.TrimSpace(status))
}

// Amount decodes Heleket amounts, which public examples show both as JSON
// strings and as numbers. It never goes through float64.
type Amount struct {
	decimal.Decimal
	Valid bool // false when the field was null or absent
}

// NewAmount wraps a decimal as a present amount.
func NewAmount(d decimal.Decimal) Amount { return Amount{Decimal: d, Valid: true} }

func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*a = Amount{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("amount: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*a = Amount{}
			return nil
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %q: not a decimal", truncate(s, 40))
	}
	// "1e999999999" parses, but printing it would allocate a gigabyte; no
	// real amount comes anywhere near this many digits.
	if e := d.Exponent(); e > maxAmountExponent || e < -maxAmountExponent {
		return fmt.Errorf("amount %q: exponent out of range", truncate(s, 40))
	}
	*a = Amount{Decimal: d, Valid: true}
	return nil
}

const maxAmountExponent = 64

// MarshalJSON writes amounts as strings with 8 decimals, as Heleket does,
// unless that would round: then every digit is kept, because these values
// travel through Temporal payloads and must come back unchanged.
func (a Amount) MarshalJSON() ([]byte, error) {
	if !a.Valid {
		return []byte("null"), nil
	}
	if a.Round(8).Equal(a.Decimal) {
		return json.Marshal(a.StringFixed(8))
	}
	return json.Marshal(a.String())
}

// Flag decodes booleans that may arrive as true/false, 0/1 or "true"/"1".
type Flag struct {
	Value bool
	Valid bool
}

func (f *Flag) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.ToLower(string(bytes.TrimSpace(b))), `"`) {
	case "true", "1":
		*f = Flag{Value: true, Valid: true}
	case "false", "0":
		*f = Flag{Value: false, Valid: true}
	case "null", "":
		*f = Flag{}
	default:
		return fmt.Errorf("flag %q: not a boolean", truncate(string(b), 20))
	}
	return nil
}

func (f Flag) MarshalJSON() ([]byte, error) {
	if !f.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(f.Value)
}

// Payout is Heleket's payout object (create, info and list items).
//
// Only the fields the product acts on are decoded strictly; a wrong type in
// one of them makes the answer malformed. The others are Lenient: Heleket
// sends balance as an object, a string or null depending on the endpoint,
// and the rest drift between numbers and strings, which must not make a
// payout retry for ever over a value nobody reads.
type Payout struct {
	UUID       string `json:"uuid"`
	OrderID    string `json:"order_id,omitempty"`
	Amount     Amount `json:"amount"`
	Currency   string `json:"currency"`
	Network    string `json:"network"`
	Address    string `json:"address"`
	TxID       string `json:"txid,omitempty"`
	Status     string `json:"status"`
	IsFinal    Flag   `json:"is_final"`
	Commission Amount `json:"commission"`

	Balance        Lenient `json:"balance,omitempty"`
	PayerCurrency  Lenient `json:"payer_currency,omitempty"`
	PayerAmount    Lenient `json:"payer_amount,omitempty"`
	MerchantAmount Lenient `json:"merchant_amount,omitempty"`
	CreatedAt      Lenient `json:"created_at,omitempty"`
	UpdatedAt      Lenient `json:"updated_at,omitempty"`

	// Raw is the payout object exactly as Heleket sent it, for the audit
	// trail; empty when the value was not decoded from JSON.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the payout and keeps a copy of its bytes in Raw.
func (p *Payout) UnmarshalJSON(b []byte) error {
	type plain Payout // drops the method, so this does not recurse
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	v.Raw = bytes.Clone(b)
	*p = Payout(v)
	return nil
}

// missing names the first field the product needs that the payout lacks;
// empty when it has them all. A payout without uuid or status can be
// neither followed nor recorded.
func (p *Payout) missing() string {
	switch {
	case strings.TrimSpace(p.UUID) == "":
		return "uuid"
	case strings.TrimSpace(p.Status) == "":
		return "status"
	}
	return ""
}

// Final reports whether the payout will not change any more: the is_final
// flag when Heleket sent one, the status table otherwise.
func (p Payout) Final() bool {
	if p.IsFinal.Valid {
		return p.IsFinal.Value
	}
	return IsFinalStatus(p.Status)
}

// NormalizedNetwork returns the network code in lower case; Heleket's
// examples use both cases.
func (p Payout) NormalizedNetwork() string { return strings.ToLower(p.Network) }

// CreatePayoutRequest is the body of POST /v1/payout.
type CreatePayoutRequest struct {
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	OrderID     string `json:"order_id"`
	Address     string `json:"address"`
	IsSubtract  bool   `json:"is_subtract"`
	Network     string `json:"network,omitempty"`
	URLCallback string `json:"url_callback,omitempty"`
	ToCurrency  string `json:"to_currency,omitempty"`
	Priority    string `json:"priority,omitempty"`
	Memo        string `json:"memo,omitempty"`
}

// InfoRequest is the body of POST /v1/payout/info; order_id wins when both are set.
type InfoRequest struct {
	UUID    string `json:"uuid,omitempty"`
	OrderID string `json:"order_id,omitempty"`
}

// ListRequest is the body of POST /v1/payout/list. Dates use
// "2006-01-02 15:04:05".
type ListRequest struct {
	DateFrom string `json:"date_from,omitempty"`
	DateTo   string `json:"date_to,omitempty"`
}

// ListDateLayout is the layout of date_from / date_to.
const ListDateLayout = "2006-01-02 15:04:05"

// Paginate is the paging block of list results.
type Paginate struct {
	Count          int    `json:"count"`
	HasPages       bool   `json:"hasPages"`
	NextCursor     string `json:"nextCursor"`
	PreviousCursor string `json:"previousCursor"`
	PerPage        int    `json:"perPage"`
}

// ListPage is one page of payout history.
type ListPage struct {
	MerchantUUID string   `json:"merchant_uuid"`
	Items        []Payout `json:"items"`
	Paginate     Paginate `json:"paginate"`
}

// Service is one entry of POST /v1/payout/services.
type Service struct {
	Network     string `json:"network"`
	Currency    string `json:"currency"`
	IsAvailable Flag   `json:"is_available"`
	Limit       struct {
		MinAmount Amount `json:"min_amount"`
		MaxAmount Amount `json:"max_amount"`
	} `json:"limit"`
	Commission struct {
		FeeAmount Amount `json:"fee_amount"`
		Percent   Amount `json:"percent"`
	} `json:"commission"`
}

// CalcRequest is the body of POST /v1/payout/calc.
type CalcRequest struct {
	Amount     string `json:"amount"`
	Currency   string `json:"currency"`
	Address    string `json:"address"`
	Network    string `json:"network"`
	IsSubtract bool   `json:"is_subtract"`
	ToCurrency string `json:"to_currency,omitempty"`
	Priority   string `json:"priority,omitempty"`
}

// CalcResult is the result of POST /v1/payout/calc.
type CalcResult struct {
	Commission     Amount `json:"commission"`
	MerchantAmount Amount `json:"merchant_amount"`
	PayoutAmount   Amount `json:"payout_amount"`
}

// TestWebhookRequest is the body of POST /v1/test-webhook/payout.
type TestWebhookRequest struct {
	URLCallback string `json:"url_callback"`
	Currency    string `json:"currency"`
	Network     string `json:"network"`
	UUID        string `json:"uuid,omitempty"`
	OrderID     string `json:"order_id,omitempty"`
	Status      string `json:"status,omitempty"`
}

// Webhook is the payload Heleket posts to url_callback, in the order Heleket
// sends the fields. As in Payout, the fields the product does not act on are
// Lenient: a signed webhook refused over one of them would be redelivered
// for ever.
type Webhook struct {
	Type           string  `json:"type"`
	UUID           string  `json:"uuid"`
	OrderID        string  `json:"order_id"`
	Amount         Amount  `json:"amount"`
	MerchantAmount Lenient `json:"merchant_amount,omitempty"`
	Commission     Amount  `json:"commission"`
	IsFinal        Flag    `json:"is_final"`
	Status         string  `json:"status"`
	TxID           string  `json:"txid,omitempty"`
	Currency       string  `json:"currency"`
	Network        string  `json:"network"`
	PayerCurrency  Lenient `json:"payer_currency,omitempty"`
	PayerAmount    Lenient `json:"payer_amount,omitempty"`
	Sign           string  `json:"sign"`
}

// Final reports whether the webhook announces a final status.
func (w Webhook) Final() bool {
	if w.IsFinal.Valid {
		return w.IsFinal.Value
	}
	return IsFinalStatus(w.Status)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
