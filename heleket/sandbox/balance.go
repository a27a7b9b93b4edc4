package sandbox

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

// handleBalance answers /v1/balance as the contract shows it: a list with
// one balance object whose merchant part has an entry per currency, as
// decimal strings; the user part (a payments-API notion) is empty here.
func (s *Sandbox) handleBalance(call) reply {
	s.mu.RLock()
	defer s.mu.RUnlock()
	currencies := make([]string, 0, len(s.balances))
	for c := range s.balances {
		currencies = append(currencies, c)
	}
	slices.Sort(currencies)
	merchant := make([]heleket.BalanceEntry, 0, len(currencies))
	for _, c := range currencies {
		merchant = append(merchant, heleket.BalanceEntry{UUID: s.walletUUID(c), Balance: heleket.NewAmount(s.balances[c]), CurrencyCode: c})
	}
	return ok([]any{map[string]any{"balance": heleket.BalanceSet{Merchant: merchant, User: []heleket.BalanceEntry{}}}})
}

// walletUUID is a stable UUID-shaped id of the merchant's wallet in a
// currency, so repeated answers name the same wallet.
func (s *Sandbox) walletUUID(currency string) string {
	sum := md5.Sum([]byte(s.cfg.MerchantID + "/" + currency))
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// TopUp credits amount to the merchant balance in currency, as a deposit
// would, and returns the new balance.
func (s *Sandbox) TopUp(currency string, amount decimal.Decimal) (decimal.Decimal, error) {
	if !amount.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("top-up amount must be positive, got %s", amount)
	}
	cur := normCurrency(currency)
	if cur == "" {
		return decimal.Decimal{}, fmt.Errorf("top-up needs a currency")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balances[cur] = s.balances[cur].Add(amount)
	return s.balances[cur], nil
}

// postBalance is the control route of TopUp:
// POST /_sandbox/balance {"currency":"USDT","amount":"100"}.
func (s *Sandbox) postBalance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Currency string `json:"currency"`
		Amount   string `json:"amount"`
	}
	if err := decodeControl(r, &req); err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	amount, err := decimal.NewFromString(req.Amount)
	if err != nil {
		controlError(w, http.StatusBadRequest, fmt.Errorf("amount: want a decimal string like \"100.5\""))
		return
	}
	balance, err := s.TopUp(req.Currency, amount)
	if err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	writeControl(w, http.StatusOK, map[string]string{"currency": normCurrency(req.Currency), "balance": balance.String()})
}
