package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

const (
	testMerchant = "0b6f2f0e-1111-4222-8333-944455556666"
	testKey      = "test-payout-key/with+odd=chars"

	tronAddr  = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
	tronAddr2 = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
	evmAddr   = "0x52908400098527886E0F7030069857D2E4169EE7"
	ltcAddr   = "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz"
)

// newSandbox starts a sandbox on a random port and closes it with the test.
func newSandbox(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	cfg.MerchantID, cfg.APIKey = testMerchant, testKey
	s := New(cfg)
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// apiResp is a decoded Heleket envelope plus the HTTP status.
type apiResp struct {
	HTTP    int
	Header  http.Header
	State   int                 `json:"state"`
	Result  json.RawMessage     `json:"result"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// signHex computes Heleket's signature independently of heleket.Sign.
func signHex(body []byte, key string) string {
	sum := md5.Sum([]byte(base64.StdEncoding.EncodeToString(body) + key))
	return hex.EncodeToString(sum[:])
}

func post(t *testing.T, s *Sandbox, path, body string) apiResp {
	t.Helper()
	return postWith(t, s.URL()+path, testMerchant, signHex([]byte(body), testKey), body)
}

func postWith(t *testing.T, url, merchant, sign, body string) apiResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("merchant", merchant)
	req.Header.Set("sign", sign)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := apiResp{HTTP: resp.StatusCode, Header: resp.Header}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

type createArgs struct {
	orderID, currency, network, address, amount, callback string
	isSubtract                                            bool
}

func (a createArgs) body() string {
	m := map[string]any{
		"order_id": a.orderID, "currency": a.currency, "address": a.address,
		"amount": a.amount, "is_subtract": a.isSubtract,
	}
	if a.network != "" {
		m["network"] = a.network
	}
	if a.callback != "" {
		m["url_callback"] = a.callback
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func usdt(orderID, amount string) createArgs {
	return createArgs{orderID: orderID, currency: "USDT", network: "tron", address: tronAddr, amount: amount, isSubtract: true}
}

func create(t *testing.T, s *Sandbox, a createArgs) heleket.Payout {
	t.Helper()
	r := post(t, s, "/v1/payout", a.body())
	require.Equal(t, http.StatusOK, r.HTTP, "create: %+v", r)
	require.Equal(t, 0, r.State)
	var p heleket.Payout
	require.NoError(t, json.Unmarshal(r.Result, &p))
	return p
}

// eventually polls cond a bounded number of times.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("condition never met: %s", what)
}

// receiver is a webhook endpoint that records raw bodies; it answers 500
// to the first failFirst requests.
type receiver struct {
	mu        sync.Mutex
	bodies    [][]byte
	failFirst int
	srv       *httptest.Server
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{failFirst: failFirst}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.bodies = append(r.bodies, b)
		if r.failFirst > 0 {
			r.failFirst--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks/heleket" }

func (r *receiver) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func (r *receiver) count() int { return len(r.got()) }

// statusOf reads a webhook's status without trusting the sandbox encoder.
func statusOf(t *testing.T, body []byte) string {
	var w heleket.Webhook
	require.NoError(t, json.Unmarshal(body, &w))
	return w.Status
}

// expectedWebhook builds the signed body by hand, in Heleket's field order,
// for payloads that contain nothing PHP would escape differently from Go.
func expectedWebhook(p heleket.Payout, orderID, status, txid string) string {
	txPart := ""
	if txid != "" {
		txPart = `"txid":"` + txid + `",`
	}
	unsigned := fmt.Sprintf(`{"type":"payout","uuid":"%s","order_id":"%s","amount":"%s",`+
		`"merchant_amount":"%s","commission":"%s","is_final":%t,"status":"%s",%s`+
		`"currency":"%s","network":"%s","payer_currency":"%s","payer_amount":"%s"}`,
		p.UUID, orderID, p.Amount.StringFixed(8), lenientDec(p.MerchantAmount).StringFixed(8),
		p.Commission.StringFixed(8), heleket.IsFinalStatus(status), status, txPart,
		p.Currency, p.Network, p.Currency, lenientDec(p.PayerAmount).StringFixed(8))
	sign := signHex([]byte(unsigned), testKey)
	return unsigned[:len(unsigned)-1] + `,"sign":"` + sign + `"}`
}

// lenientDec reads a lenient amount the sandbox wrote; zero when it is not
// one, which the comparisons then catch.
func lenientDec(l heleket.Lenient) decimal.Decimal {
	d, _ := l.Amount()
	return d
}
