package heleket

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// PathBalance is the merchant's balance. Heleket's docs list it with the
// payments API; this client signs it with the payout key, like every call.
const PathBalance = "/v1/balance"

// BalanceEntry is one currency of a balance answer.
type BalanceEntry struct {
	UUID         string `json:"uuid"`
	Balance      Amount `json:"balance"`
	CurrencyCode string `json:"currency_code"`
}

// BalanceSet is what /v1/balance answers, as decoded from its result
// ([{"balance": {"merchant": [...], "user": [...]}}]).
type BalanceSet struct {
	Merchant []BalanceEntry `json:"merchant"`
	User     []BalanceEntry `json:"user"`
}

// Balances is the merchant balance per currency (upper case), decimal
// strings decoded without a float in between.
type Balances map[string]decimal.Decimal

// Of is the balance in currency, and whether Heleket listed it.
func (b Balances) Of(currency string) (decimal.Decimal, bool) {
	d, ok := b[strings.ToUpper(strings.TrimSpace(currency))]
	return d, ok
}

// Currencies lists the currencies, sorted.
func (b Balances) Currencies() []string {
	out := make([]string, 0, len(b))
	for c := range b {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Balance reads the merchant's balance per currency. The user balances
// of the answer are not the merchant's money and are left out; a currency
// listed twice (one entry per wallet) is summed.
//
// A key that may sign payouts may still be refused here (the docs put the
// route with the payments API): callers take an AuthError as "balance
// unknown", never as a reason to fail a payout.
func (c *Client) Balance(ctx context.Context) (Balances, error) {
	var sets balanceResult
	if err := c.call(ctx, PathBalance, nil, nil, &sets); err != nil {
		return nil, err
	}
	out := Balances{}
	for _, s := range sets {
		for _, e := range s.Balance.Merchant {
			cur := strings.ToUpper(strings.TrimSpace(e.CurrencyCode))
			if cur == "" || !e.Balance.Valid {
				return nil, &MalformedError{Endpoint: PathBalance, HTTPStatus: http.StatusOK, Reason: fmt.Sprintf("merchant balance entry without %s", missingBalanceField(cur))}
			}
			out[cur] = out[cur].Add(e.Balance.Decimal)
		}
	}
	return out, nil
}

// balanceResult is the documented list of balance objects; a lone object
// (PHP backends drift between the two) is read as a list of one.
type balanceResult []struct {
	Balance BalanceSet `json:"balance"`
}

func (r *balanceResult) UnmarshalJSON(b []byte) error {
	type list balanceResult
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var one [1]struct {
			Balance BalanceSet `json:"balance"`
		}
		if err := json.Unmarshal(t, &one[0]); err != nil {
			return fmt.Errorf("balance object: %w", err)
		}
		*r = one[:]
		return nil
	}
	return json.Unmarshal(b, (*list)(r))
}

func missingBalanceField(cur string) string {
	if cur == "" {
		return "currency_code"
	}
	return "balance"
}
