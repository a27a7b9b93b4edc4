package security

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

const (
	tronAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	evmAddress  = "0x52908400098527886E0F7030069857D2E4169EE7"
	tonAddress  = "EQD4FPq-PRDieyQKkizFTRtSDyucUIqrj0v_zXJmqaDp6_0t"
	sqlish      = "42'; DROP TABLE payouts;--"
)

// errorBody is every refusal's JSON body.
type errorBody struct {
	Error  string              `json:"error"`
	Fields map[string][]string `json:"fields"`
	Status string              `json:"status"` // the webhook's 200 answers
}

// newCodec turns payload encryption on, so that the /codec/ routes exist.
func newCodec(t *testing.T) *codec.Codec {
	t.Helper()
	key, err := codec.GenerateKey("k1")
	require.NoError(t, err)
	c, err := codec.New(key, "")
	require.NoError(t, err)
	return c
}

// send makes one request with the client given (the OpenAPI-checking one
// for documented routes) and returns the status, headers and decoded body.
func send(t *testing.T, hc *http.Client, req *http.Request) (int, http.Header, errorBody, []byte) {
	t.Helper()
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body errorBody
	_ = json.Unmarshal(raw, &body) // asserted by the caller: not every answer is JSON
	return resp.StatusCode, resp.Header, body, raw
}

// snapshot is every table's row count and a digest of its rows, so that a
// change to any row of any table, including tables added later, shows.
func snapshot(t *testing.T, e *testenv.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := e.Store.Pool().Query(ctx, `
		SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	out := map[string]string{}
	for _, table := range tables {
		var n int
		var digest string
		q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t`,
			pgx.Identifier{table}.Sanitize())
		require.NoError(t, e.Store.Pool().QueryRow(ctx, q).Scan(&n, &digest))
		out[table] = fmt.Sprintf("%d rows, md5 %s", n, digest)
	}
	return out
}

// workflowsOnQueue lists the workflow IDs visibility knows on the
// environment's task queue.
func workflowsOnQueue(t *testing.T, e *testenv.Env) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var token []byte
	for {
		resp, err := e.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("TaskQueue = %q", e.TaskQueue), NextPageToken: token,
		})
		require.NoError(t, err)
		for _, ex := range resp.Executions {
			out[ex.Execution.WorkflowId] = true
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

// workflowsAfterBarrier starts a sentinel workflow (of a type no worker
// has) and waits until visibility lists it. Visibility is updated
// asynchronously, so a workflow started by a refused request just before
// might not show yet; by the time the sentinel, started after every
// request, shows, it does. The sentinel is left out of the result.
func workflowsAfterBarrier(t *testing.T, e *testenv.Env) map[string]bool {
	t.Helper()
	id := "security-sentinel-" + e.TaskQueue
	ctx := context.Background()
	_, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.TaskQueue}, "SecuritySentinel")
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Temporal.TerminateWorkflow(context.Background(), id, "", "test over") })
	deadline := time.Now().Add(time.Minute)
	for {
		got := workflowsOnQueue(t, e)
		if got[id] {
			delete(got, id)
			return got
		}
		require.True(t, time.Now().Before(deadline), "the sentinel workflow never showed in visibility")
		time.Sleep(100 * time.Millisecond)
	}
}

// waitVisible waits until visibility lists the workflow.
func waitVisible(t *testing.T, e *testenv.Env, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !workflowsOnQueue(t, e)[id] {
		require.True(t, time.Now().Before(deadline), "workflow %s never showed in visibility", id)
		time.Sleep(100 * time.Millisecond)
	}
}

// schedules lists the Temporal schedule IDs of the namespace.
func schedules(t *testing.T, e *testenv.Env) map[string]bool {
	t.Helper()
	it, err := e.Temporal.ScheduleClient().List(context.Background(), client.ScheduleListOptions{})
	require.NoError(t, err)
	out := map[string]bool{}
	for it.HasNext() {
		s, err := it.Next()
		require.NoError(t, err)
		out[s.ID] = true
	}
	return out
}

// signedWebhook is a webhook for the order as Heleket signs it.
func signedWebhook(uuid, orderID, status string, final bool) string {
	payload := fmt.Sprintf(`{"type":"payout","uuid":%q,"order_id":%q,"amount":"5.00000000","merchant_amount":"5.00000000","commission":"1.00000000","is_final":%t,"status":%q,"currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"5.00000000"}`,
		uuid, orderID, final, status)
	return payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), testenv.APIKey) + `"}`
}

func request(t *testing.T, method, url string, body []byte, headers map[string]string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}
