package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

// productMetrics gathers the registry after touching every product metric,
// so that each family has a series to show.
func productMetrics(t *testing.T) map[string]bool {
	t.Helper()
	now := time.Now()
	p := payout.Payout{Asset: "USDT", Network: "tron", Origin: payout.OriginManual, Status: payout.StatusPaid,
		Amount: decimal.NewFromInt(1), CreatedAt: now, FinalizedAt: &now}
	metrics.PayoutStarted(p)
	metrics.PayoutFinished(p)
	metrics.ReconcileDiscrepancy("status_mismatch")
	metrics.SetBacklog(metrics.Backlog{}, now)
	metrics.HeleketBalance("USDT", decimal.NewFromInt(1))
	metrics.LowBalanceThresholds(map[string]decimal.Decimal{"USDT": decimal.NewFromInt(1)})
	metrics.PayoutFlagged(metrics.AttentionMismatch)
	_, _ = metrics.HeleketHTTPClient().Get("http://127.0.0.1:1/v1/payout/info") // nothing listens: a transport_error
	fams, err := metrics.Registry.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	return names
}

type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile("grafana-dashboard.json")
	require.NoError(t, err)
	var dash dashboard
	require.NoError(t, json.Unmarshal(raw, &dash))
	return dash
}

func TestGrafanaDashboardUsesExistingMetrics(t *testing.T) {
	dash := loadDashboard(t)
	known := productMetrics(t)
	name := regexp.MustCompile(`payouts_[a-z_]+`)
	exprs := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			exprs++
			for _, m := range name.FindAllString(target.Expr, -1) {
				base := m
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					base = strings.TrimSuffix(base, suffix)
				}
				assert.True(t, known[base], "panel %q uses %s, which /metrics does not export", p.Title, m)
			}
		}
	}
	assert.Greater(t, exprs, 8)
}

// What an alert fires on, an operator can look at: every metric of
// alerts.yml is on a panel, and so is the scrape's up.
func TestGrafanaDashboardShowsEveryAlertSignal(t *testing.T) {
	var exprs []string
	for _, p := range loadDashboard(t).Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	shown := func(metric string) bool {
		return slices.ContainsFunc(exprs, func(e string) bool {
			return regexp.MustCompile(`\b` + metric + `(_bucket|_count|_sum)?\b`).MatchString(e)
		})
	}
	metrics := alertMetrics(t)
	require.NotEmpty(t, metrics)
	for _, m := range append(metrics, "up") {
		assert.True(t, shown(m), "alerts.yml uses %s: show it on a panel of grafana-dashboard.json", m)
	}
}
