package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// fields reads an answer as raw JSON members, to tell a false flag from a
// missing one.
func fields(t *testing.T, resp *http.Response) map[string]json.RawMessage {
	t.Helper()
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestPayoutShowsWhetherItNeedsAttention(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	clientID := uniqueKey("attn")
	p := accepted(t, e, clientID, uniqueKey("attn"), body("5", tronAddress))

	got := fields(t, e.Do(http.MethodGet, "/payouts/"+p.ID, nil, nil))
	require.Contains(t, got, "needs_attention", "shown when false too")
	assert.JSONEq(t, `false`, string(got["needs_attention"]))
	for _, name := range []string{"is_subtract", "requested_by"} {
		assert.Contains(t, got, name)
	}

	require.NoError(t, e.Store.SetNeedsAttention(context.Background(), p.ID, true, payout.SourceReconcile, "stuck: test"))
	got = fields(t, e.Do(http.MethodGet, "/payouts/"+p.ID, nil, nil))
	assert.JSONEq(t, `true`, string(got["needs_attention"]))

	page := testenv.Decode[struct {
		Items []struct {
			ID             string `json:"id"`
			NeedsAttention bool   `json:"needs_attention"`
		} `json:"items"`
	}](e, e.Do(http.MethodGet, "/payouts?needs_attention=true&client_id="+clientID, nil, nil))
	require.Len(t, page.Items, 1)
	assert.Equal(t, p.ID, page.Items[0].ID)
	assert.True(t, page.Items[0].NeedsAttention, "list items carry the flag too")
}
