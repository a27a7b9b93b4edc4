package security

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// hostile is one request that must be refused (or, for a replayed webhook,
// answered as a duplicate) without changing anything.
type hostile struct {
	name    string
	method  string
	path    string // {id} is the existing payout's ID
	body    string
	headers map[string]string // over the defaults; "" removes a default
	chunked bool              // send the body without a length
	want    int
	field   string // a 422 must name this field
	status  string // a 200 webhook answer's status
	raw     bool   // not a documented exchange (unknown route or method): not checked against OpenAPI
	noJSON  bool   // refused by net/http itself, before any handler can write JSON
}

func payoutBody(fields string) string {
	return `{"asset":"USDT","network":"tron","amount":"5","address":"` + tronAddress + `"` + fields + `}`
}

func withAmount(amount string) string {
	return `{"asset":"USDT","network":"tron","amount":` + amount + `,"address":"` + tronAddress + `"}`
}

var esc = url.PathEscape

// cursorOf is a list cursor as the API encodes it, around any id.
func cursorOf(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("1764320000000000." + id))
}

// adminCases are hostile requests to the admin routes, sent with a valid
// token unless the case says otherwise: they test what comes after auth.
func adminCases() []hostile {
	pay := "/clients/80/payout"
	return []hostile{
		// Create: malformed and mistyped bodies.
		{name: "truncated JSON", method: "POST", path: pay, body: `{"asset":"USDT",`, want: 400},
		{name: "not JSON", method: "POST", path: pay, body: `asset=USDT&amount=5`, want: 400},
		{name: "empty body", method: "POST", path: pay, body: ``, headers: map[string]string{"Content-Type": "application/json"}, want: 400},
		{name: "JSON array", method: "POST", path: pay, body: `[]`, want: 400},
		{name: "two JSON values", method: "POST", path: pay, body: payoutBody("") + `{}`, want: 400},
		{name: "trailing brace", method: "POST", path: pay, body: payoutBody("") + `}`, want: 400},
		{name: "wrong content type", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Content-Type": "text/plain"}, want: 400},
		{name: "form content type", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: 400},
		{name: "unknown field", method: "POST", path: pay, body: payoutBody(`,"is_subtract":false`), want: 400},
		{name: "duplicate key", method: "POST", path: pay, body: `{"amount":"5","asset":"USDT","network":"tron","address":"` + tronAddress + `","amount":"50000"}`, want: 400},
		{name: "amount as a number", method: "POST", path: pay, body: withAmount(`5`), want: 400},
		{name: "amount as an object", method: "POST", path: pay, body: withAmount(`{"value":"5"}`), want: 400},
		{name: "raw NUL byte", method: "POST", path: pay, body: "{\"asset\":\"US\x00DT\"}", want: 400},
		{name: "nested too deep", method: "POST", path: pay, body: `{"memo":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, want: 400},
		// Create: bad values.
		{name: "negative amount", method: "POST", path: pay, body: withAmount(`"-5"`), want: 422, field: "amount"},
		{name: "zero amount", method: "POST", path: pay, body: withAmount(`"0"`), want: 422, field: "amount"},
		{name: "40-digit amount", method: "POST", path: pay, body: withAmount(`"` + strings.Repeat("9", 40) + `"`), want: 422, field: "amount"},
		{name: "exponent amount", method: "POST", path: pay, body: withAmount(`"1e3"`), want: 422, field: "amount"},
		{name: "hex amount", method: "POST", path: pay, body: withAmount(`"0x10"`), want: 422, field: "amount"},
		{name: "NaN amount", method: "POST", path: pay, body: withAmount(`"NaN"`), want: 422, field: "amount"},
		{name: "too many decimals", method: "POST", path: pay, body: withAmount(`"1.1234567"`), want: 422, field: "amount"},
		{name: "unknown asset", method: "POST", path: pay, body: `{"asset":"DOGECOIN","network":"tron","amount":"5","address":"` + tronAddress + `"}`, want: 422, field: "asset"},
		{name: "address of another network", method: "POST", path: pay, body: `{"asset":"USDT","network":"tron","amount":"5","address":"` + evmAddress + `"}`, want: 422, field: "address"},
		{name: "pair not offered", method: "POST", path: pay, body: `{"asset":"BTC","network":"tron","amount":"5","address":"` + tronAddress + `"}`, want: 422, field: "network"},
		{name: "SQL in client_id path", method: "POST", path: "/clients/" + esc(sqlish) + "/payout", body: payoutBody(""), want: 422, field: "client_id"},
		{name: "SQL in asset", method: "POST", path: pay, body: `{"asset":"USDT'; DROP TABLE payouts;--","network":"tron","amount":"5","address":"` + tronAddress + `"}`, want: 422, field: "asset"},
		{name: "SQL in address", method: "POST", path: pay, body: `{"asset":"USDT","network":"tron","amount":"5","address":"T' OR '1'='1"}`, want: 422, field: "address"},
		{name: "NUL in memo", method: "POST", path: pay, body: `{"asset":"TON","network":"ton","amount":"1","address":"` + tonAddress + `","memo":"a\u0000b"}`, want: 422, field: "memo"},
		{name: "memo off TON", method: "POST", path: pay, body: payoutBody(`,"memo":"x"`), want: 422, field: "memo"},
		{name: "unknown origin", method: "POST", path: pay, body: payoutBody(`,"origin":"admin' --"`), want: 422, field: "origin"},
		{name: "no Idempotency-Key", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Idempotency-Key": ""}, want: 422, field: "Idempotency-Key"},
		{name: "huge Idempotency-Key", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 8<<10)}, want: 422, field: "Idempotency-Key"},
		{name: "non-ASCII Idempotency-Key", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Idempotency-Key": "ключ"}, want: 422, field: "Idempotency-Key"},
		{name: "oversize body with a length", method: "POST", path: pay, body: `{"memo":"` + strings.Repeat("x", 1<<20) + `"}`, want: 413},
		{name: "oversize chunked body", method: "POST", path: pay, body: `{"memo":"` + strings.Repeat("x", 1<<20) + `"}`, chunked: true, want: 400},
		// Auth.
		{name: "no token", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Authorization": ""}, want: 401},
		{name: "wrong token", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Authorization": "Bearer wrong-token-0123456789"}, want: 401},
		{name: "token prefix", method: "POST", path: pay, body: payoutBody(""), headers: map[string]string{"Authorization": "Bearer " + testenv.AdminToken[:10]}, want: 401},
		{name: "token as Basic", method: "GET", path: "/payouts", headers: map[string]string{"Authorization": "Basic " + testenv.AdminToken}, want: 401},
		{name: "token in the query", method: "GET", path: "/payouts?access_token=" + testenv.AdminToken, headers: map[string]string{"Authorization": ""}, want: 401},
		{name: "huge Authorization header", method: "GET", path: "/payouts", headers: map[string]string{"Authorization": "Bearer " + strings.Repeat("t", 600<<10)}, want: 401},
		// Reads: path parameters.
		{name: "SQL in payout id", method: "GET", path: "/payouts/" + esc("x' OR '1'='1"), want: 404},
		{name: "traversal in payout id", method: "GET", path: "/payouts/..%2F..%2Fetc%2Fpasswd", want: 404},
		{name: "dot segments", method: "GET", path: "/payouts/../../etc/passwd", want: 404, raw: true},
		{name: "NUL in payout id", method: "GET", path: "/payouts/a%00b", want: 400},
		{name: "invalid UTF-8 in payout id", method: "GET", path: "/payouts/%ff%fe", want: 400},
		{name: "SQL in events id", method: "GET", path: "/payouts/" + esc("1;DELETE FROM payout_events") + "/events", want: 404},
		{name: "SQL in batch id", method: "GET", path: "/payouts/batches/" + esc("b' OR 1=1--"), want: 404},
		{name: "SQL in run id", method: "GET", path: "/reconciliation/runs/" + esc("r' OR 1=1--"), want: 404},
		{name: "SQL in wallets client", method: "GET", path: "/clients/" + esc(sqlish) + "/wallets", want: 422, field: "client_id"},
		{name: "traversal in wallets client", method: "GET", path: "/clients/..%2F..%2Fetc/wallets", want: 422, field: "client_id"},
		{name: "SQL in schedules client", method: "GET", path: "/clients/" + esc(sqlish) + "/payout-schedules", want: 422, field: "client_id"},
		{name: "SQL in schedule id", method: "GET", path: "/clients/80/payout-schedules/" + esc("payout-schedule-80-x' OR '1'='1"), want: 404},
		{name: "traversal in schedule id", method: "DELETE", path: "/clients/80/payout-schedules/..%2F..%2Fpayout-schedule-80-x", want: 404},
		{name: "pause unknown schedule", method: "POST", path: "/clients/80/payout-schedules/payout-schedule-80-nosuch/pause", want: 404},
		// Reads: query parameters.
		{name: "SQL in client_id filter", method: "GET", path: "/payouts?client_id=" + url.QueryEscape(sqlish), want: 422, field: "client_id"},
		{name: "SQL in status filter", method: "GET", path: "/payouts?status=" + url.QueryEscape("paid' OR '1'='1"), want: 422, field: "status"},
		{name: "SQL in asset filter", method: "GET", path: "/payouts?asset=" + url.QueryEscape("USDT' --"), want: 422, field: "asset"},
		{name: "exponent limit", method: "GET", path: "/payouts?limit=1e3", want: 422, field: "limit"},
		{name: "negative limit", method: "GET", path: "/payouts?limit=-1", want: 422, field: "limit"},
		{name: "SQL in cursor", method: "GET", path: "/payouts?cursor=" + url.QueryEscape("' OR 1=1--"), want: 422, field: "cursor"},
		{name: "cursor smuggling a NUL", method: "GET", path: "/payouts?cursor=" + cursorOf("a\x00b"), want: 422, field: "cursor"},
		{name: "cursor smuggling SQL", method: "GET", path: "/payouts?cursor=" + cursorOf("x' OR '1'='1"), want: 422, field: "cursor"},
		{name: "misspelt parameter", method: "GET", path: "/payouts?stauts=paid", want: 422, field: "stauts"},
		{name: "repeated parameter", method: "GET", path: "/payouts?status=paid&status=failed", want: 422, field: "status"},
		{name: "broken query escape", method: "GET", path: "/payouts?status=%zz", want: 400},
		{name: "semicolon separator", method: "GET", path: "/payouts?status=paid;limit=1", want: 400},
		{name: "NUL in query", method: "GET", path: "/payouts?client_id=%00", want: 400},
		{name: "bad timestamp", method: "GET", path: "/payouts?created_from=2026-13-45", want: 422, field: "created_from"},
		{name: "SQL in stats period", method: "GET", path: "/dashboard/api/admin-stats?from=" + url.QueryEscape("2026-01-01'; DROP TABLE payouts;--"), want: 422, field: "from"},
		{name: "SQL in runs cursor", method: "GET", path: "/reconciliation/runs?cursor=" + url.QueryEscape("' OR 1=1--"), want: 422, field: "cursor"},
		{name: "runs limit too high", method: "GET", path: "/reconciliation/runs?limit=101", want: 422, field: "limit"},
		// Wallets.
		{name: "wallet without default", method: "PUT", path: "/clients/80/wallets", body: `{"asset":"USDT","network":"tron","address":"` + tronAddress + `"}`, want: 422, field: "default"},
		{name: "wallet default as a string", method: "PUT", path: "/clients/80/wallets", body: `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":"yes"}`, want: 400},
		{name: "wallet address of another network", method: "PUT", path: "/clients/80/wallets", body: `{"asset":"USDT","network":"tron","address":"` + evmAddress + `","default":true}`, want: 422, field: "address"},
		{name: "wallet duplicate key", method: "PUT", path: "/clients/80/wallets", body: `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":false,"default":true}`, want: 400},
		// Decisions.
		{name: "decision on SQL id", method: "POST", path: "/payouts/" + esc("x'; UPDATE payouts SET status='paid';--") + "/cancel", want: 404},
		{name: "reason with a NUL", method: "POST", path: "/payouts/{id}/cancel", body: `{"reason":"a\u0000b"}`, want: 422, field: "reason"},
		{name: "reason too long", method: "POST", path: "/payouts/{id}/reject", body: `{"reason":"` + strings.Repeat("r", 501) + `"}`, want: 422, field: "reason"},
		{name: "decision unknown field", method: "POST", path: "/payouts/{id}/approve", body: `{"reason":"ok","actor":"bob"}`, want: 400},
		{name: "decision bad JSON", method: "POST", path: "/payouts/{id}/approve", body: `{"reason":`, want: 400},
		// Batches.
		{name: "batch as text", method: "POST", path: "/payouts/batch", body: "x", headers: map[string]string{"Content-Type": "text/plain"}, want: 415},
		{name: "batch not an array", method: "POST", path: "/payouts/batch", body: `{}`, want: 400},
		{name: "batch duplicate key", method: "POST", path: "/payouts/batch", body: `[{"client_id":"80","client_id":"81","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `"}]`, want: 400},
		{name: "batch CSV unknown column", method: "POST", path: "/payouts/batch", body: "client_id,asset,network,amount,drop_table\n80,USDT,tron,1,x\n", headers: map[string]string{"Content-Type": "text/csv"}, want: 400},
		{name: "batch SQL in a row", method: "POST", path: "/payouts/batch", body: `[{"client_id":"` + sqlish + `","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `"}]`, want: 422},
		{name: "batch without key", method: "POST", path: "/payouts/batch", body: `[{"client_id":"80","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `"}]`, headers: map[string]string{"Idempotency-Key": ""}, want: 422},
		// Schedules.
		{name: "schedule every second", method: "POST", path: "/clients/80/payout-schedules", body: `{"name":"n","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `","cron":"* * * * * * *"}`, want: 422, field: "cron"},
		{name: "schedule time zone traversal", method: "POST", path: "/clients/80/payout-schedules", body: `{"name":"n","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `","cron":"@daily","timezone":"../../../../etc/passwd"}`, want: 422, field: "timezone"},
		{name: "schedule SQL name", method: "POST", path: "/clients/80/payout-schedules", body: `{"name":"n'; DROP TABLE payout_schedules;--","asset":"USDT","network":"tron","amount":"1","address":"` + tronAddress + `","cron":"@daily"}`, want: 422, field: "name"},
		{name: "schedule 40-digit amount", method: "POST", path: "/clients/80/payout-schedules", body: `{"name":"n","asset":"USDT","network":"tron","amount":"` + strings.Repeat("9", 40) + `","address":"` + tronAddress + `","cron":"@daily"}`, want: 422, field: "amount"},
		// Reconciliation.
		{name: "reconcile with a body", method: "POST", path: "/payouts/reconcile", body: `{}`, want: 400},
		{name: "reconcile with a chunked body", method: "POST", path: "/payouts/reconcile", body: `{}`, chunked: true, want: 400},
		// Unknown routes and methods.
		{name: "unknown route", method: "GET", path: "/admin", want: 404, raw: true},
		{name: "unknown method", method: "DELETE", path: "/payouts/{id}", want: 405, raw: true},
		{name: "PUT the webhook", method: "PUT", path: "/payouts/webhook", want: 405, raw: true},
		// Headers too big for net/http: refused before any handler.
		{name: "2 MiB header", method: "GET", path: "/payouts", headers: map[string]string{"X-Padding": strings.Repeat("p", 2<<20)}, want: 431, raw: true, noJSON: true},
	}
}

// webhookCases are hostile deliveries to the webhook route; valid is a
// webhook the API has already taken.
func webhookCases(t *testing.T, valid, orderID string) []hostile {
	t.Helper()
	hook := func(name, body string, want int, status string) hostile {
		return hostile{name: name, method: "POST", path: "/payouts/webhook", body: body, want: want, status: status,
			headers: map[string]string{"Authorization": "", "Idempotency-Key": ""}}
	}
	forged := signedWebhook("11111111-0000-4000-8000-000000000001", orderID, "paid", true)
	forged = forged[:strings.LastIndex(forged, `"sign":"`)] + `"sign":"` + heleket.SignWebhook([]byte(`{}`), "not-the-key") + `"}`
	noSign := valid[:strings.LastIndex(valid, `,"sign"`)] + `}`
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, []byte(valid), "", "  "))
	i := strings.LastIndex(valid, `,"sign":"`)
	moved := `{"sign":"` + strings.ToUpper(valid[i+9:len(valid)-2]) + `",` + valid[1:i] + `}`
	return []hostile{
		hook("webhook forged", forged, 401, ""),
		hook("webhook without sign", noSign, 401, ""),
		hook("webhook with two signs", valid[:len(valid)-1]+`,"sign":"00"}`, 401, ""),
		hook("webhook truncated", valid[:len(valid)/2], 400, ""),
		hook("webhook empty", "", 400, ""),
		hook("webhook as a form", "type=payout&status=paid", 400, ""),
		hook("webhook SQL in order_id, forged", strings.Replace(forged, orderID, "x' OR '1'='1", 1), 401, ""),
		hook("webhook replayed", valid, 200, "duplicate"),
		hook("webhook replayed re-indented", indented.String(), 200, "duplicate"),
		hook("webhook replayed with the sign moved and upper-cased", moved, 200, "duplicate"),
		{name: "webhook oversize", method: "POST", path: "/payouts/webhook", body: `{"a":"` + strings.Repeat("x", 1<<20) + `"}`, want: 413,
			headers: map[string]string{"Authorization": ""}},
	}
}

func (c hostile) request(t *testing.T, base, id string) *http.Request {
	t.Helper()
	var body []byte
	if c.body != "" || c.method != "GET" && c.method != "DELETE" {
		body = []byte(c.body)
	}
	req := request(t, c.method, base+strings.ReplaceAll(c.path, "{id}", id), body, nil)
	req.Header.Set("Authorization", "Bearer "+testenv.AdminToken)
	req.Header.Set("Idempotency-Key", "hostile-"+c.name)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	if c.chunked {
		req.ContentLength = -1
	}
	return req
}

func (c hostile) check(t *testing.T, status int, header http.Header, body errorBody, raw []byte) {
	t.Helper()
	require.Equal(t, c.want, status, "answer: %.300s", raw)
	switch {
	case c.noJSON:
		assert.NotEmpty(t, raw, "net/http explains itself in plain text")
	case c.status != "":
		assert.Equal(t, c.status, body.Status)
	default:
		assert.Contains(t, header.Get("Content-Type"), "application/json")
		assert.NotEmpty(t, strings.TrimSpace(body.Error), "a clear message in the JSON body's error: %.300s", raw)
	}
	if c.field != "" {
		assert.NotEmpty(t, body.Fields[c.field], "field %q named: %v", c.field, body.Fields)
	}
	if status == http.StatusMethodNotAllowed {
		assert.NotEmpty(t, header.Get("Allow"))
	}
}

func TestHostileRequestsAreRefusedAndChangeNothing(t *testing.T) {
	logs := &testenv.LogBuffer{}
	// No worker: nothing moves unless a request moved it, and a workflow
	// a refused request started would stay visible on the task queue.
	e := testenv.New(t, testenv.Options{NoWorker: true, Codec: newCodec(t), Logs: logs})
	existing, valid := seed(t, e)

	before, wfBefore, schedBefore, callsBefore := snapshot(t, e), workflowsOnQueue(t, e), schedules(t, e), e.Sandbox.Stats().Calls
	require.True(t, wfBefore["payout-"+existing], "the existing payout's workflow is visible")
	require.Contains(t, before, "payouts")
	require.Contains(t, before, "payout_events")
	require.Contains(t, before, "webhook_inbox")

	cases := append(adminCases(), webhookCases(t, valid, existing)...)
	require.GreaterOrEqual(t, len(cases), 40)
	plain := &http.Client{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc := e.HTTP
			if c.raw {
				hc = plain
			}
			status, header, body, raw := send(t, hc, c.request(t, e.API.URL, existing))
			c.check(t, status, header, body, raw)
		})
	}

	assert.Equal(t, before, snapshot(t, e), "no row of any table changed (payout_events included)")
	assert.Equal(t, wfBefore, workflowsAfterBarrier(t, e), "no workflow started on the task queue")
	assert.Equal(t, schedBefore, schedules(t, e), "no Temporal schedule created")
	assert.Equal(t, callsBefore, e.Sandbox.Stats().Calls, "Heleket never called")
	assert.NotContains(t, logs.String(), tronAddress, "no wallet address in the logs")
	assert.NotContains(t, logs.String(), "wrong-token-0123456789", "no presented token in the logs")
	t.Logf("%d hostile requests refused", len(cases))
}

// seed creates what the hostile requests aim at: a payout (whose workflow
// waits, with no worker), a wallet, and a webhook the API has taken, which
// is returned for replaying.
func seed(t *testing.T, e *testenv.Env) (payoutID, webhook string) {
	t.Helper()
	status, _, body, raw := send(t, e.HTTP, hostile{method: "POST", path: "/clients/80/payout", body: payoutBody("")}.request(t, e.API.URL, ""))
	require.Equal(t, http.StatusAccepted, status, "%s %v", raw, body)
	var p struct{ ID string }
	require.NoError(t, json.Unmarshal(raw, &p))
	waitVisible(t, e, "payout-"+p.ID)

	status, _, _, raw = send(t, e.HTTP, hostile{method: "PUT", path: "/clients/80/wallets",
		body: `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":true}`}.request(t, e.API.URL, ""))
	require.Equal(t, http.StatusOK, status, "%s", raw)

	webhook = signedWebhook("11111111-0000-4000-8000-000000000000", p.ID, "process", false)
	status, _, body, raw = send(t, e.HTTP, request(t, "POST", e.API.URL+"/payouts/webhook", []byte(webhook),
		map[string]string{"Content-Type": "application/json"}))
	require.Equal(t, http.StatusOK, status, "%s", raw)
	require.Equal(t, "ok", body.Status)
	var processed bool
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(),
		`SELECT processed_at IS NOT NULL FROM webhook_inbox WHERE order_id = $1`, p.ID).Scan(&processed))
	require.True(t, processed)
	return p.ID, webhook
}
