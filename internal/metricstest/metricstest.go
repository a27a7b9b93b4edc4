// Package metricstest reads the product's Prometheus registry in tests.
package metricstest

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/metrics"
)

// Counter is the value of the counter name whose labels include want; 0
// when no such series exists yet.
func Counter(t testing.TB, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := metrics.Registry.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m.GetLabel(), want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func hasLabels(labels []*dto.LabelPair, want map[string]string) bool {
	got := map[string]string{}
	for _, p := range labels {
		got[p.GetName()] = p.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
