package console_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

// An operator resolves a discrepancy from the console: without a note the
// refusal is next to the field, with one it is resolved and audited.
func TestConsoleResolvesADiscrepancy(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	_, err := e.Store.BeginRun(t.Context(), store.RunStart{ID: "run-console", Trigger: "test", WorkflowID: "wf-run-console"},
		store.Lease{TTL: 10 * time.Minute, Lookback: time.Hour})
	require.NoError(t, err)
	d, created, err := e.Store.AddDiscrepancy(t.Context(), store.Discrepancy{RunID: "run-console", OrderID: "order-x",
		Kind: reconcile.KindOrphan, Reason: `<script>window.pwned=1</script> unknown at our side`})
	require.NoError(t, err)
	require.True(t, created)
	_, err = e.Store.FinishRun(t.Context(), reconcile.Finish{RunID: "run-console", Status: reconcile.StatusSucceeded})
	require.NoError(t, err)

	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	b.Open(e.API.URL + "/console/reconciliation")
	b.Click(`a[href="/console/discrepancies?status=open"]`)
	text := b.WaitFor(regexp.MustCompile(`orphan`), wait)
	assert.Contains(t, text, "<script>window.pwned=1</script>", "the reason is shown as text")
	notRun(t, b, "discrepancies")
	b.Run(removeRequired("#rnote-" + itoa(d.ID)))
	b.Click(`form[action$="/resolve"] button`)
	b.WaitFor(regexp.MustCompile(`is required: say why`), wait)
	b.Fill("#rnote-"+itoa(d.ID), "matched by hand with Heleket support")
	b.Click(`form[action$="/resolve"] button`)
	b.WaitFor(regexp.MustCompile(`resolved as fixed`), wait)

	open, _, err := e.Store.ListDiscrepancies(t.Context(), store.DiscrepancyFilter{}, 0, 10)
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.NotNil(t, open[0].ResolvedAt)
	assert.Equal(t, "fixed", open[0].Resolution)
}
