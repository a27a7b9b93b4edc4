package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Tokens with one role each (and one with two), as ADMIN_TOKENS lists them.
const (
	viewerToken    = "vera-viewer-token-0123456789"
	initiatorToken = "ivan-initiator-token-0123456789"
	approverToken  = "anna-approver-token-0123456789"
	operatorToken  = "otto-operator-token-0123456789"
	bothToken      = "bea-initiator-approver-token-0123"
)

func roleTokens(t *testing.T) []access.Credential {
	t.Helper()
	tokens, err := config.ParseAdminTokens("vera:" + viewerToken + ":viewer,ivan:" + initiatorToken + ":initiator," +
		"anna:" + approverToken + ":approver,otto:" + operatorToken + ":operator,bea:" + bothToken + ":initiator+approver")
	require.NoError(t, err)
	return config.Credentials(tokens)
}

func as(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

// byJSON is who a payout says requested it.
type byJSON struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	RequestedBy string `json:"requested_by"`
}

type forbiddenJSON struct {
	Error    string `json:"error"`
	NeedRole string `json:"need_role"`
}

// writeRoles is the role every route that changes something needs. The
// test below walks the router: a new write route without a row here fails
// it, so no route is open to a viewer by omission.
var writeRoles = map[string]access.Role{
	"POST /clients/{client_id}/payout":                                 access.Initiator,
	"POST /clients/{client_id}/payout/quote":                           access.Initiator,
	"PUT /clients/{client_id}/wallets":                                 access.Initiator,
	"POST /clients/{client_id}/wallets/disable":                        access.Initiator,
	"POST /clients/{client_id}/wallets/delete":                         access.Initiator,
	"POST /clients/{client_id}/wallets/approve":                        access.Approver,
	"POST /payouts/batch":                                              access.Initiator,
	"POST /clients/{client_id}/payout-schedules":                       access.Initiator,
	"POST /payouts/{id}/approve":                                       access.Approver,
	"POST /payouts/{id}/reject":                                        access.Approver,
	"POST /payouts/batches/{id}/approve":                               access.Approver,
	"POST /payouts/batches/{id}/reject":                                access.Approver,
	"POST /clients/{client_id}/payout-schedules/{schedule_id}/approve": access.Approver,
	"POST /clients/{client_id}/payout-schedules/{schedule_id}/reject":  access.Approver,
	"POST /payouts/{id}/cancel":                                        access.Operator,
	"POST /payouts/batches/{id}/pause":                                 access.Operator,
	"POST /payouts/batches/{id}/resume":                                access.Operator,
	"POST /payouts/batches/{id}/cancel":                                access.Operator,
	"POST /clients/{client_id}/payout-schedules/{schedule_id}/pause":   access.Operator,
	"POST /clients/{client_id}/payout-schedules/{schedule_id}/resume":  access.Operator,
	"DELETE /clients/{client_id}/payout-schedules/{schedule_id}":       access.Operator,
	"POST /payouts/reconcile":                                          access.Operator,
	"POST /events/{id}/redeliver":                                      access.Operator,
	"POST /event-endpoints":                                            access.Admin,
	"DELETE /event-endpoints/{id}":                                     access.Admin,
	"POST /discrepancies/{id}/resolve":                                 access.Operator,
	"POST /payouts/{id}/retry":                                         access.Initiator,
	"POST /payouts/batches/{id}/retry-failed":                          access.Initiator,
}

// writeBodies are bodies the routes would accept from a token with the
// role, so the 403 proves the role check stopped them.
func writeBodies(t *testing.T) map[string][]byte {
	rows, err := json.Marshal([]batch.Row{{ClientID: "81", Asset: "USDT", Network: "tron", Amount: "5", Address: tronAddress}})
	require.NoError(t, err)
	walletAt := []byte(`{"asset":"USDT","network":"tron","address":"` + tronAddress + `"}`)
	return map[string][]byte{
		"POST /clients/{client_id}/payout":          []byte(requestBodies["POST /clients/{client_id}/payout"]),
		"POST /clients/{client_id}/payout/quote":    []byte(requestBodies["POST /clients/{client_id}/payout"]),
		"PUT /clients/{client_id}/wallets":          []byte(requestBodies["PUT /clients/{client_id}/wallets"]),
		"POST /payouts/batch":                       rows,
		"POST /clients/{client_id}/wallets/approve": walletAt,
		"POST /clients/{client_id}/wallets/disable": walletAt,
		"POST /clients/{client_id}/wallets/delete":  walletAt,
		"POST /event-endpoints":                     []byte(`{"url":"https://receiver.example.com/hook","events":["*"]}`),
		"POST /discrepancies/{id}/resolve":          []byte(`{"resolution":"fixed","note":"viewer"}`),
		"POST /clients/{client_id}/payout-schedules": scheduleBody(t, map[string]any{"name": "weekly", "asset": "USDT",
			"network": "tron", "amount": "1.5", "address": tronAddress, "calendar": map[string]string{"hour": "9"}}),
	}
}

// A viewer reads everything and changes nothing: every write route is 403
// with the role it needs, no table changes, Heleket hears nothing, and
// each refusal is one log line with the admin, action, role and request.
func TestAViewerReadsAndEveryWriteIs403(t *testing.T) {
	logs := &testenv.LogBuffer{}
	e := testenv.New(t, testenv.Options{NoWorker: true, Logs: logs, AdminTokens: roleTokens(t)})
	existing := accepted(t, e, "80", "existing", body("5", tronAddress))
	mux, ok := httpapi.New(httpapi.Deps{}).(chi.Routes)
	require.True(t, ok)
	before := rowCounts(t, e)
	bodies := writeBodies(t)

	walked := map[string]bool{}
	err := chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if publicRoutes[route] {
			return nil
		}
		path := strings.NewReplacer("{client_id}", "80", "{id}", existing.ID, "{schedule_id}", "80-weekly").Replace(route)
		if method == http.MethodGet {
			resp := e.Do(method, path, nil, as(viewerToken))
			resp.Body.Close()
			assert.NotEqual(t, http.StatusForbidden, resp.StatusCode, "a viewer reads %s", route)
			assert.Less(t, resp.StatusCode, 500, route)
			return nil
		}
		key := method + " " + route
		walked[key] = true
		need, listed := writeRoles[key]
		if !assert.True(t, listed, "%s changes something: add the role it needs to writeRoles", key) {
			return nil
		}
		resp := e.Do(method, path, bodies[key], map[string]string{"Authorization": "Bearer " + viewerToken,
			"Idempotency-Key": "viewer-" + route, "Content-Type": "application/json"})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, key)
		got := testenv.Decode[forbiddenJSON](e, resp)
		assert.Equal(t, string(need), got.NeedRole, key)
		assert.Contains(t, got.Error, "vera may not ", key)
		return nil
	})
	require.NoError(t, err)
	for key := range writeRoles {
		assert.True(t, walked[key], "%s is in writeRoles but not a route", key)
	}

	assert.Equal(t, before, rowCounts(t, e), "no table changed")
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
	var refusals int
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if !strings.Contains(line, "role missing") {
			continue
		}
		refusals++
		for _, want := range []string{`"admin":"vera"`, `"need_role":"`, `"action":"`, `"request_id":"`} {
			assert.Contains(t, line, want)
		}
	}
	assert.Equal(t, len(writeRoles), refusals, "one log line per refusal")
}

// The brief's case on its own: a viewer's payout is 403 naming the
// initiator role, and leaves no payout and no audit row.
func TestAViewerCreatingAPayoutIs403AndStoresNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{AdminTokens: roleTokens(t)})
	resp := e.Do(http.MethodPost, "/clients/82/payout", body("5", tronAddress),
		map[string]string{"Authorization": "Bearer " + viewerToken, "Idempotency-Key": "viewer-payout"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	got := testenv.Decode[forbiddenJSON](e, resp)
	assert.Equal(t, forbiddenJSON{Error: "vera may not create a payout: that needs the initiator role", NeedRole: "initiator"}, got)
	assert.Zero(t, payoutRows(t, e))
	assert.Zero(t, tableRows(t, e, "payout_events"))

	// The same request from an initiator is a payout requested by it.
	resp = create(e, "82", "viewer-payout", body("5", tronAddress))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, "alice", testenv.Decode[byJSON](e, resp).RequestedBy, "alice (every role) may create")
	resp = e.Do(http.MethodPost, "/clients/82/payout", body("6", tronAddress),
		map[string]string{"Authorization": "Bearer " + initiatorToken, "Idempotency-Key": "initiator-payout"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, "ivan", testenv.Decode[byJSON](e, resp).RequestedBy)
}

// Four-eyes with roles: an initiator cannot approve (403, it has no
// approver role); one with both roles cannot approve its own payout
// (409); an approver approves another's, and the audit row names it.
func TestAnApproverApprovesAnothersPayoutButNeverItsOwn(t *testing.T) {
	e := approvalEnvWith(t, roleTokens(t))
	own := e.Do(http.MethodPost, "/clients/83/payout", body("5000", tronAddress),
		map[string]string{"Authorization": "Bearer " + initiatorToken, "Idempotency-Key": "own-" + t.Name()})
	require.Equal(t, http.StatusAccepted, own.StatusCode)
	p := testenv.Decode[payoutJSON](e, own)
	require.Equal(t, "awaiting_approval", p.Status)

	resp, refusal := decide(e, p.ID, "approve", initiatorToken)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "an initiator is no approver")
	assert.Contains(t, refusal.Error, "needs the approver role")

	mine := e.Do(http.MethodPost, "/clients/83/payout", body("5000", tronAddress),
		map[string]string{"Authorization": "Bearer " + bothToken, "Idempotency-Key": "both-" + t.Name()})
	require.Equal(t, http.StatusAccepted, mine.StatusCode)
	q := testenv.Decode[payoutJSON](e, mine)
	resp, refusal = decide(e, q.ID, "approve", bothToken)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "an approver never approves its own payout")
	assert.Contains(t, refusal.Error, "never its initiator")
	resp, _ = decide(e, p.ID, "cancel", approverToken)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "cancelling is an operator's")

	resp, _ = decide(e, p.ID, "approve", approverToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	events, err := e.Store.Events(t.Context(), p.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(events), 2)
	assert.Equal(t, "ivan", events[0].Actor)
	assert.Equal(t, "anna", events[1].Actor)
	waiting, err := e.Store.GetPayout(t.Context(), q.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusAwaitingApproval, waiting.Status, "the refused self-approval left it waiting")
}

func approvalEnvWith(t *testing.T, tokens []access.Credential) *testenv.Env {
	return testenv.New(t, testenv.Options{
		ApprovalThresholds: usdt("1000"), AdminTokens: tokens,
		Timing: workflows.Timing{WebhookWait: time.Minute, PollInitial: 200 * time.Millisecond, PollMax: time.Second,
			ApprovalTimeout: time.Hour},
	})
}

// An operator pauses a running campaign; an initiator (who may upload
// one) may not, and its refusal reaches no workflow.
func TestAnOperatorPausesACampaign(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, AdminTokens: roleTokens(t)})
	w := startGatedWorker(t, e, 1, 2)
	c := newCampaign(t, e, w, 4, 2, 0) // page 1 is held

	updates := countEvents(t, e, c.ID, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	for token, need := range map[string]string{initiatorToken: "operator", approverToken: "operator", viewerToken: "operator"} {
		resp := e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/pause", nil, as(token))
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, need, testenv.Decode[forbiddenJSON](e, resp).NeedRole)
	}
	assert.Equal(t, updates, countEvents(t, e, c.ID, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
		"a refused pause never reached the workflow")

	answer := make(chan *http.Response, 1)
	go func() {
		answer <- e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/pause", []byte(`{"reason":"budget review"}`), as(operatorToken))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for countEvents(t, e, c.ID, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == updates {
		select {
		case <-ctx.Done():
			t.Fatal("the operator's pause was never accepted")
		case <-time.After(50 * time.Millisecond):
		}
	}
	w.release(1)
	resp := <-answer
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "paused", testenv.Decode[campaignJSON](e, resp).State)
	assert.Contains(t, campaignEvents(t, e, c.ID), "paused by otto: budget review")
}

// ADMIN_TOKENS_FILE end to end: the file's token (known to the API only
// by its SHA-256) opens the API with its roles, and an expired one is 401
// saying so, logged with the admin's name.
func TestFileTokensWorkAndExpire(t *testing.T) {
	const (
		fileToken    = "carol-file-token-0123456789abcdef"
		expiredToken = "dora-expired-token-0123456789abcd"
	)
	path := filepath.Join(t.TempDir(), "admin-tokens")
	text := "# rotated quarterly\n\n" +
		config.AdminTokenLine("carol", []access.Role{access.Initiator}, fileToken, time.Now().Add(24*time.Hour)) + "\n" +
		config.AdminTokenLine("dora", []access.Role{access.Admin}, expiredToken, time.Now().Add(-time.Hour)) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	tokens, err := config.ReadAdminTokensFile(path)
	require.NoError(t, err)
	logs := &testenv.LogBuffer{}
	e := testenv.New(t, testenv.Options{Logs: logs, AdminTokens: config.Credentials(tokens)})

	resp := e.Do(http.MethodPost, "/clients/84/payout", body("5", tronAddress),
		map[string]string{"Authorization": "Bearer " + fileToken, "Idempotency-Key": "file-token"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	p := testenv.Decode[byJSON](e, resp)
	assert.Equal(t, "carol", p.RequestedBy)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	resp = e.Do(http.MethodPost, "/payouts/reconcile", nil, as(fileToken))
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "the file's roles hold")
	assert.Equal(t, "operator", testenv.Decode[forbiddenJSON](e, resp).NeedRole)

	before := payoutRows(t, e)
	for _, req := range []struct{ method, path string }{{http.MethodPost, "/clients/84/payout"}, {http.MethodGet, "/payouts/" + p.ID}} {
		resp = e.Do(req.method, req.path, body("5", tronAddress),
			map[string]string{"Authorization": "Bearer " + expiredToken, "Idempotency-Key": "expired-token"})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, req.path)
		assert.NotEmpty(t, resp.Header.Get("WWW-Authenticate"))
		assert.Contains(t, testenv.Decode[errorJSON](e, resp).Error, "expired")
	}
	assert.Equal(t, before, payoutRows(t, e))
	assert.Contains(t, logs.String(), "token expired")
	assert.Contains(t, logs.String(), `"admin":"dora"`)
	assert.NotContains(t, logs.String(), expiredToken)
	assert.NotContains(t, logs.String(), fileToken)
}
