// Package ui_test checks what an operator sees of a payout in the Temporal
// Web UI, in headless Chromium against the dev server's real UI.
package ui_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

func TestMain(m *testing.M) { testenv.MainWithUI(m) }

const tronAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

// A payout whose webhook confirmation fails (Heleket answers 5xx) shows,
// on its page, which call fails, how many attempts, the last error and the
// next try; once it is paid the page says it finished, and the input shows
// durations an operator can read.
func TestOperatorSeesAFailingConfirmation(t *testing.T) {
	e := testenv.New(t, testenv.Options{SettleAfter: time.Hour})
	id := createPayout(t, e, "ui-1", "ui-"+t.Name())
	e.WaitState(id, func(s workflows.PayoutState) bool { return s.HeleketUUID != "" })
	e.Sandbox.SetFaults(sandbox.Faults{ServerErrorRate: 1})
	require.NoError(t, e.Sandbox.SetStatus(id, heleket.StatusPaid))
	e.WaitState(id, func(s workflows.PayoutState) bool { return s.Retry != nil && s.Retry.Attempts >= 2 })

	b := browser.New(t)
	page := testenv.UIURL() + "/namespaces/default/workflows/" + payout.WorkflowID(id)
	b.WaitText(page, regexp.MustCompile(`User Metadata`), time.Minute)
	b.ClickText("User Metadata", 30*time.Second)
	text := b.WaitFor(regexp.MustCompile(`attempt \d+ failed`), time.Minute)
	assert.Contains(t, text, "confirming webhook with Heleket")
	assert.Contains(t, text, "HTTP 500")
	assert.Regexp(t, `next try at \d\d:\d\d:\d\d UTC`, text)
	b.Screenshot("waiting-on-a-failing-confirmation")

	e.Sandbox.SetFaults(sandbox.Faults{})
	require.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status)
	text = b.WaitText(page, regexp.MustCompile(`"phase":\s*"finished"`), time.Minute)
	assert.NotContains(t, text, `"phase": "confirming webhook with Heleket"`)
	assert.Regexp(t, `"webhook_wait":\s*"\d+(m|s|h)`, text, "durations read as durations")
	assert.NotRegexp(t, `"webhook_wait":\s*\d{6,}`, text)
	b.Screenshot("finished")
}

func createPayout(t *testing.T, e *testenv.Env, client, key string) string {
	t.Helper()
	body, err := json.Marshal(map[string]string{"asset": "USDT", "network": "tron", "amount": "10", "address": tronAddress})
	require.NoError(t, err)
	resp := e.Do(http.MethodPost, "/clients/"+client+"/payout", body, map[string]string{"Idempotency-Key": key})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	return testenv.Decode[struct {
		ID string `json:"id"`
	}](e, resp).ID
}
