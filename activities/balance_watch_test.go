package activities

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
)

type scriptedFunds struct {
	balances []heleket.Balances // one per Balance call; nil entries fail
	calls    int
}

func (f *scriptedFunds) Balance(context.Context) (heleket.Balances, error) {
	b := f.balances[min(f.calls, len(f.balances)-1)]
	f.calls++
	if b == nil {
		return nil, &heleket.ServerError{Endpoint: heleket.PathBalance, HTTPStatus: 503}
	}
	return b, nil
}

func (f *scriptedFunds) Calc(context.Context, heleket.CalcRequest) (heleket.CalcResult, error) {
	return heleket.CalcResult{}, errors.New("not used")
}

type outbox struct {
	mu     sync.Mutex
	alerts []alert.Alert
	fail   bool
}

func (o *outbox) RaiseAlert(_ context.Context, a alert.Alert) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail {
		return false, errors.New("outbox down")
	}
	o.alerts = append(o.alerts, a)
	return true, nil
}

func usdt(s string) heleket.Balances { return heleket.Balances{"USDT": decimal.RequireFromString(s)} }

// One alert per crossing below the threshold: none while it stays low or
// the balance cannot be read, another after it recovered and fell again.
func TestBalanceWatchAlertsOncePerCrossing(t *testing.T) {
	f := &scriptedFunds{balances: []heleket.Balances{usdt("150"), usdt("50"), usdt("40"), nil, usdt("30"),
		usdt("200"), usdt("10")}}
	o := &outbox{}
	w := &BalanceWatch{Funds: f, Outbox: o, Thresholds: map[string]decimal.Decimal{"USDT": decimal.NewFromInt(100)}}
	var raised []int
	for range f.balances {
		w.Refresh(context.Background())
		raised = append(raised, len(o.alerts))
	}
	assert.Equal(t, []int{0, 1, 1, 1, 1, 1, 2}, raised)
	require.Len(t, o.alerts, 2)
	assert.Equal(t, alert.KindLowBalance, o.alerts[0].Message.Kind)
	assert.Contains(t, o.alerts[0].Message.Text, "USDT is 50")
	assert.Contains(t, o.alerts[1].Message.Text, "USDT is 10")
	assert.Equal(t, 10.0, balanceGauge(t, "USDT"), "the gauge shows the last read")
}

// A currency Heleket stops listing holds nothing: below any threshold.
func TestBalanceWatchMissingCurrencyIsZero(t *testing.T) {
	o := &outbox{}
	w := &BalanceWatch{Funds: &scriptedFunds{balances: []heleket.Balances{{}}}, Outbox: o,
		Thresholds: map[string]decimal.Decimal{"TON": decimal.NewFromInt(5)}}
	w.Refresh(context.Background())
	require.Len(t, o.alerts, 1)
	assert.Contains(t, o.alerts[0].Message.Text, "TON is 0")
}

// An alert the outbox did not take is raised at the next refresh.
func TestBalanceWatchRetriesAnAlertNotRaised(t *testing.T) {
	o := &outbox{fail: true}
	w := &BalanceWatch{Funds: &scriptedFunds{balances: []heleket.Balances{usdt("1")}}, Outbox: o,
		Thresholds: map[string]decimal.Decimal{"USDT": decimal.NewFromInt(100)}}
	w.Refresh(context.Background())
	assert.Empty(t, o.alerts)
	o.fail = false
	w.Refresh(context.Background())
	assert.Len(t, o.alerts, 1)
	w.Refresh(context.Background())
	assert.Len(t, o.alerts, 1, "still low: no second alert")
}

func balanceGauge(t *testing.T, currency string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "payouts_heleket_balance" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "currency" && l.GetValue() == currency {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no payouts_heleket_balance{currency=%q}", currency)
	return 0
}
