package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// heleketBalance is the merchant balance per currency as the worker last
// read it. Currencies come from Heleket's answer, mapped through the known
// assets, so the label set stays bounded.
var heleketBalance = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "payouts_heleket_balance",
	Help: "Merchant balance at Heleket per currency, as last read by the worker (refreshed every BALANCE_REFRESH_EVERY).",
}, []string{"currency"})

func init() { Registry.MustRegister(heleketBalance) }

// HeleketBalance sets the balance gauge of currency. A float is fine here:
// the gauge is for graphs and alert rules, never for a decision about money.
func HeleketBalance(currency string, balance decimal.Decimal) {
	heleketBalance.WithLabelValues(asset(currency)).Set(balance.InexactFloat64())
}
