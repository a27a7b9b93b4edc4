package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// A CSV with a bad row shows that row's error and stores nothing; the
// fixed file starts the campaign, whose progress bar fills by itself.
func TestConsoleCampaignUploadShowsRowErrorsThenRuns(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("client_id,asset,network,amount,address,memo\n"+
		"601,USDT,tron,5,"+tronAddress+",\n"+
		"602,USDT,tron,-3,"+tronAddress+",\n"+
		"603,USDT,tron,7,"+tronAddress+",\n"), 0o644))
	b.Open(e.API.URL + "/console/campaigns")
	b.Run(chromedp.SetUploadFiles("#csv", []string{bad}, chromedp.ByQuery))
	b.Click("#upload-button")
	text := b.WaitFor(regexp.MustCompile(`Nothing was stored`), wait)
	assert.Regexp(t, `3\s+amount\s+\S`, text, "line 3 (the second row) is named with its field")
	assert.Equal(t, 1, b.Count("#row-errors tbody tr"), "only the bad row")
	assert.Zero(t, payoutCount(t, e))

	good := filepath.Join(dir, "good.csv")
	require.NoError(t, os.WriteFile(good, []byte("client_id,asset,network,amount,address,memo\n"+
		"601,USDT,tron,5,"+tronAddress+",\n"+
		"602,USDT,tron,3,"+tronAddress+",\n"+
		"603,USDT,tron,7,"+tronAddress+",\n"), 0o644))
	b.Run(chromedp.SetUploadFiles("#csv", []string{good}, chromedp.ByQuery))
	b.Click("#upload-button")
	b.WaitFor(regexp.MustCompile(`Campaign \S+`), wait)
	b.Eval(`window.stayed = true`, nil)
	b.WaitFor(regexp.MustCompile(`3 of 3 rows final \(done\)`), wait)
	var stayed bool
	b.Eval(`window.stayed === true`, &stayed)
	assert.True(t, stayed, "the progress bar moved without reloading the page")
	var value, max int
	b.Eval(`document.querySelector("#progress").value`, &value)
	b.Eval(`document.querySelector("#progress").max`, &max)
	assert.Equal(t, 3, value)
	assert.Equal(t, 3, max)
	assert.Equal(t, 3, payoutCount(t, e))
}

// A campaign over the threshold waits on Approvals until a second admin
// approves it, and then runs to done.
func TestConsoleCampaignOverTheThresholdWaitsForASecondAdmin(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	alice := browser.New(t)
	signIn(t, alice, e, testenv.AdminToken)
	csv := filepath.Join(t.TempDir(), "big.csv")
	require.NoError(t, os.WriteFile(csv, []byte("client_id,asset,network,amount,address,memo\n"+
		"611,USDT,tron,1500,"+tronAddress+",\n612,USDT,tron,5,"+tronAddress+",\n"), 0o644))
	alice.Open(e.API.URL + "/console/campaigns")
	alice.Run(chromedp.SetUploadFiles("#csv", []string{csv}, chromedp.ByQuery))
	alice.Click("#upload-button")
	alice.WaitFor(regexp.MustCompile(`State\s+awaiting_approval`), wait)

	bob := browser.New(t)
	signIn(t, bob, e, testenv.SecondAdminToken)
	bob.Open(e.API.URL + "/console/approvals")
	bob.WaitFor(regexp.MustCompile(`Campaigns waiting for a decision`), wait)
	bob.Fill("#approval-campaigns input[name=note]", "budget ok")
	bob.Click(`#approval-campaigns button[formaction$="/approve"]`)
	bob.WaitFor(regexp.MustCompile(`2 of 2 rows final \(done\)`), wait)
	alice.WaitFor(regexp.MustCompile(`2 of 2 rows final \(done\)`), wait)
	assert.Equal(t, 2, payoutCount(t, e))
}
