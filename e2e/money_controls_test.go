package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

type heldJSON struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	WaitingFor *payout.Waiting `json:"waiting_for"`
}

func usdt(s string) map[string]decimal.Decimal {
	return map[string]decimal.Decimal{"USDT": decimal.RequireFromString(s)}
}

// Twenty concurrent 100 USDT requests for one client under a 1,000 USDT
// daily cap: the cap is decided under the client's lock inside the
// transaction that stores each payout, so exactly ten pass, never eleven.
func TestClientDailyCapHoldsUnderConcurrentRequests(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{ClientDailyLimits: usdt("1000")}})
	client := uniqueKey("cap")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[int]int{}
		reasons []string
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := create(e, client, fmt.Sprintf("cap-%d", i), body("100", tronAddress))
			var refusal errorJSON
			if resp.StatusCode == http.StatusUnprocessableEntity {
				refusal = testenv.Decode[errorJSON](e, resp)
			} else {
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			answers[resp.StatusCode]++
			reasons = append(reasons, refusal.Fields["amount"]...)
		}()
	}
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusAccepted: 10, http.StatusUnprocessableEntity: 10}, answers)
	require.NotEmpty(t, reasons)
	assert.Contains(t, reasons[0], "client "+client+"'s 24 h total would be 1,100 USDT, over its daily limit of 1,000")
	assert.Equal(t, 10, sqlCount(t, e, `SELECT count(*) FROM payouts WHERE client_id = $1`, client), "a refusal stores nothing")
	assert.Equal(t, 10, sqlCount(t, e, `SELECT count(*) FROM payout_events e JOIN payouts p ON p.id = e.payout_id
		WHERE p.client_id = $1 AND e.from_status IS NULL`, client), "one creation audit row per payout, none for refusals")
	// A repeat of an accepted request is answered, not counted again.
	for i := range 20 {
		resp := create(e, client, fmt.Sprintf("cap-%d", i), body("100", tronAddress))
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		}
	}
}

// Splitting a large payout does not escape four-eyes: with a 1,000 USDT
// threshold, the second 600 USDT payout of one client in 24 hours waits,
// and says why and for whom.
func TestSplitPayoutWaitsForApprovalOnTheSecond(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	client := uniqueKey("split")
	first := accepted(t, e, client, "split-1", body("600", tronAddress))
	assert.Equal(t, "requested", first.Status)
	second := accepted(t, e, client, "split-2", body("600", tronAddress))
	require.Equal(t, "awaiting_approval", second.Status)

	got := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+second.ID, nil, nil))
	require.NotNil(t, got.WaitingFor)
	assert.Equal(t, payout.Waiting{Kind: payout.WaitApproval, Role: "approver",
		Reason: "client " + client + "'s 24 h total would be 1,200 USDT, over the approval threshold of 1,000"}, *got.WaitingFor)
	events, err := e.Store.Events(t.Context(), second.ID)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Contains(t, fmt.Sprint(events[0].Details["waiting_for"]), "over the approval threshold", "the audit row explains the hold")

	resp, _ := decide(e, second.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(second.ID).Status)
	released := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+second.ID, nil, nil))
	assert.Nil(t, released.WaitingFor, "released: it waits for nothing")
}

// Under NEW_ADDRESS_POLICY=approve a payout to an address the client was
// never paid to, and that is not one of its wallets, waits for a second
// admin; one to its wallet does not. Under refuse it is refused.
func TestNewAddressWaitsUnderApproveAndIsRefusedUnderRefuse(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{NewAddressPolicy: gate.NewAddressApprove}})
	client := uniqueKey("dest")
	upsertDefaultWallet(t, e, client, "USDT", "tron", tronAddress)
	known := accepted(t, e, client, "to-wallet", body("5", tronAddress))
	assert.Equal(t, "requested", known.Status)
	fresh := accepted(t, e, client, "to-new", body("5", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"))
	require.Equal(t, "awaiting_approval", fresh.Status)
	got := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+fresh.ID, nil, nil))
	require.NotNil(t, got.WaitingFor)
	assert.Equal(t, payout.WaitDestination, got.WaitingFor.Kind)
	assert.Contains(t, got.WaitingFor.Reason, "is new for client "+client)
	assert.NotContains(t, got.WaitingFor.Reason, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "the address is masked")

	refusing := testenv.New(t, testenv.Options{Controls: gate.Policy{NewAddressPolicy: gate.NewAddressRefuse}})
	resp := create(refusing, client, "to-new", body("5", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](refusing, resp)
	assert.Contains(t, refusal.Fields["address"][0], "NEW_ADDRESS_POLICY=refuse")
	assert.Zero(t, payoutRows(t, refusing))
}

// A denied address is refused whatever the amount, and nothing is stored.
func TestDeniedAddressIsRefused(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{Denylist: gate.NewDenylist([]string{tronAddress})}})
	resp := create(e, uniqueKey("deny"), "deny-1", body("1", tronAddress))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](e, resp)
	assert.Contains(t, refusal.Fields["address"][0], "is on the address denylist")
	assert.NotContains(t, refusal.Error, tronAddress)
	assert.Zero(t, payoutRows(t, e))
}
