package console_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/store"
)

// A wallet in its cooldown and a schedule over the threshold wait on the
// Approvals page; the admin who made them cannot release them, a second
// admin can.
func TestConsoleApprovalsReleaseAWalletAndASchedule(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000"),
		Controls: gate.Policy{WalletCooldown: time.Hour}})
	alice := browser.New(t)
	signIn(t, alice, e, testenv.AdminToken)
	alice.Open(e.API.URL + "/console/clients?client_id=701")
	alice.Fill("#w-asset", "USDT")
	alice.Fill("#w-network", "tron")
	alice.Fill("#w-address", tronAddress)
	alice.Click("form[action$='/wallets'] button[type=submit]")
	alice.WaitFor(regexp.MustCompile(`default, usable from`), wait)

	alice.Open(e.API.URL + "/console/schedules?client_id=701")
	alice.Fill("#s-name", "hourly")
	alice.Fill("#s-asset", "USDT")
	alice.Fill("#s-network", "tron")
	alice.Fill("#s-amount", "100")
	alice.Fill("#s-cron", "0 * * * *")
	alice.Click("#schedule-button")
	alice.WaitFor(regexp.MustCompile(`hourly\s+100 USDT`), wait)
	assert.Regexp(t, `awaiting`, alice.Text())

	alice.Open(e.API.URL + "/console/approvals")
	alice.WaitFor(regexp.MustCompile(`Wallets in their cooldown`), wait)
	alice.Click("#approval-wallets button[type=submit]")
	alice.WaitFor(regexp.MustCompile(`cannot approve`), wait)

	bob := browser.New(t)
	signIn(t, bob, e, testenv.SecondAdminToken)
	bob.Open(e.API.URL + "/console/approvals")
	bob.WaitFor(regexp.MustCompile(`hourly`), wait)
	bob.Click(`#approval-schedules button[formaction$="/approve"]`)
	bob.WaitFor(regexp.MustCompile(`No schedule waits`), wait)
	bob.Click("#approval-wallets button[type=submit]")
	bob.WaitFor(regexp.MustCompile(`No wallet waits`), wait)

	w, err := e.Store.GetWallet(context.Background(), store.WalletAt{ClientID: "701", Asset: "USDT", Network: "tron", Address: tronAddress})
	require.NoError(t, err)
	assert.Equal(t, testenv.SecondAdmin, w.ApprovedBy)
	list, err := e.Store.ListSchedules(context.Background(), "701")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, store.ScheduleApprovalApproved, list[0].ApprovalState)
}

// An operator starts reconciliation from the console and sees the run.
func TestConsoleRunsReconciliation(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	b.Open(e.API.URL + "/console/reconciliation")
	b.Click("#reconcile-button")
	b.WaitFor(regexp.MustCompile(`Reconciliation run \S+`), wait)
	for range 120 {
		if regexp.MustCompile(`Finished\s+\d{4}-`).MatchString(b.Text()) {
			break
		}
		time.Sleep(500 * time.Millisecond)
		b.Reload()
	}
	text := b.WaitFor(regexp.MustCompile(`Finished\s+\d{4}-`), wait)
	assert.Contains(t, text, "admin:"+testenv.AdminName)
	b.Open(e.API.URL + "/console/reconciliation")
	assert.Equal(t, 1, b.Count("#runs tbody tr a"))
}
