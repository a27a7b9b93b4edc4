package heleket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

const testMerchant = "8b03432e-385b-4670-8d06-064591096795"

// received is what the fake server saw of one request.
type received struct {
	Path, RawQuery, Merchant, Sign, ContentType, UserAgent string
	Body                                                   []byte
	SignValid                                              bool
}

// fakeHeleket answers every request with respond and records what arrived.
// It recomputes the signature over the bytes it actually received, which is
// what proves that the client signs the bytes it sends.
type fakeHeleket struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newFake(t *testing.T, key string, respond func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeHeleket {
	t.Helper()
	f := &fakeHeleket{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusInternalServerError)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, received{
			Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Merchant: r.Header.Get("merchant"), Sign: r.Header.Get("sign"),
			ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"),
			Body: body, SignValid: r.Method == http.MethodPost && heleket.Sign(body, key) == r.Header.Get("sign"),
		})
		f.mu.Unlock()
		respond(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHeleket) only(t *testing.T) received {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.reqs, 1)
	return f.reqs[0]
}

func reply(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func newClient(t *testing.T, baseURL string, mod ...func(*heleket.Config)) *heleket.Client {
	t.Helper()
	cfg := heleket.Config{BaseURL: baseURL, MerchantID: testMerchant, APIKey: requestKey}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := heleket.New(cfg)
	require.NoError(t, err)
	return c
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// payoutResult mixes the shapes public examples show: amounts as numbers and
// as strings, the network code in upper case, is_final as 0/1.
const payoutResult = `{"state":0,"result":{"uuid":"a7c0caec-a594-4aaa-b1c4-77d511857594","amount":"100.50","currency":"USDT","network":"TRON","address":"TXYZ1234567890abcdefghijklmnopqrs","txid":null,"status":"process","is_final":0,"balance":129,"payer_currency":"USDT","payer_amount":100.5,"commission":"1.00000000","merchant_amount":101.50000000}}`

func TestCreatePayoutSignsTheBytesItSends(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, payoutResult))
	c := newClient(t, f.URL, func(c *heleket.Config) { c.UserAgent = "payouts-test/1" })

	p, err := c.CreatePayout(context.Background(), heleket.CreatePayoutRequest{
		Amount: "100.50", Currency: "USDT", OrderID: "ord-1001",
		Address: "TXYZ1234567890abcdefghijklmnopqrs", IsSubtract: true, Network: "tron",
	})
	require.NoError(t, err)

	got := f.only(t)
	assert.Equal(t, heleket.PathCreatePayout, got.Path)
	assert.True(t, got.SignValid, "server-side signature over the received body must match the header")
	assert.Equal(t, requestBody, string(got.Body), "no trailing newline, struct field order")
	assert.Equal(t, requestSign, got.Sign, "matches the independently computed vector")
	assert.Equal(t, testMerchant, got.Merchant)
	assert.Equal(t, "application/json", got.ContentType)
	assert.Equal(t, "payouts-test/1", got.UserAgent)

	assert.Equal(t, "a7c0caec-a594-4aaa-b1c4-77d511857594", p.UUID)
	assert.Equal(t, "tron", p.NormalizedNetwork())
	assert.Equal(t, heleket.StatusProcess, p.Status)
	assert.False(t, p.Final())
	assert.Empty(t, p.TxID)
	assert.True(t, p.Amount.Equal(dec("100.50")))
	assert.True(t, p.Commission.Equal(dec("1")), "string amount")
	for field, want := range map[string]heleket.Lenient{"129": p.Balance, "100.5": p.PayerAmount, "101.5": p.MerchantAmount} {
		got, ok := want.Amount()
		assert.True(t, ok && got.Equal(dec(field)), "lenient number amount %s", field)
	}
}

func TestPayoutInfoByOrderIDAndUUID(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":{"uuid":"u-1","amount":5,"currency":"USDT","network":"bsc","status":"paid","is_final":true,"txid":"0xfeed"}}`))
	c := newClient(t, f.URL)

	p, err := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "ord-7"})
	require.NoError(t, err)
	assert.True(t, p.Final())
	assert.Equal(t, "0xfeed", p.TxID)
	_, err = c.PayoutInfo(context.Background(), heleket.InfoRequest{UUID: "u-1"})
	require.NoError(t, err)

	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.reqs, 2)
	assert.Equal(t, heleket.PathPayoutInfo, f.reqs[0].Path)
	assert.Equal(t, `{"order_id":"ord-7"}`, string(f.reqs[0].Body))
	assert.Equal(t, `{"uuid":"u-1"}`, string(f.reqs[1].Body))
	assert.True(t, f.reqs[0].SignValid && f.reqs[1].SignValid)
}

func TestListPayoutsSendsCursorAsQuery(t *testing.T) {
	f := newFake(t, requestKey, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		next := "page-2/+=" // characters that must survive query encoding
		if r.URL.Query().Get("cursor") != "" {
			next = ""
		}
		reply(http.StatusOK, `{"state":0,"result":{"merchant_uuid":"m","items":[{"uuid":"u-1","amount":"1","status":"paid"}],"paginate":{"count":1,"hasPages":`+
			map[bool]string{true: "true", false: "false"}[next != ""]+`,"nextCursor":"`+next+`","previousCursor":null,"perPage":1}}}`)(w, r, nil)
	})
	c := newClient(t, f.URL)
	req := heleket.ListRequest{DateFrom: "2025-01-01 00:00:00"}

	first, err := c.ListPayouts(context.Background(), req, "")
	require.NoError(t, err)
	require.Len(t, first.Items, 1)
	assert.True(t, first.Paginate.HasPages)
	second, err := c.ListPayouts(context.Background(), req, first.Paginate.NextCursor)
	require.NoError(t, err)
	assert.False(t, second.Paginate.HasPages)

	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.reqs, 2)
	assert.Empty(t, f.reqs[0].RawQuery, "no cursor on the first page")
	q, err := url.ParseQuery(f.reqs[1].RawQuery)
	require.NoError(t, err)
	assert.Equal(t, "page-2/+=", q.Get("cursor"))
	assert.Equal(t, `{"date_from":"2025-01-01 00:00:00"}`, string(f.reqs[1].Body), "the cursor is not part of the signed body")
	assert.True(t, f.reqs[1].SignValid)
}

func TestServicesSendsEmptyBodySignedWithKeyOnly(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":[
		{"network":"TRON","currency":"USDT","is_available":true,"limit":{"min_amount":"1.00000000","max_amount":10000},"commission":{"fee_amount":"1","percent":0.5}},
		{"network":"bsc","currency":"USDT","is_available":"0","limit":{"min_amount":5,"max_amount":"5000"},"commission":{"fee_amount":0.3,"percent":"0"}}]}`))
	c := newClient(t, f.URL)

	svcs, err := c.Services(context.Background())
	require.NoError(t, err)
	require.Len(t, svcs, 2)
	assert.True(t, svcs[0].IsAvailable.Value)
	assert.True(t, svcs[0].Limit.MaxAmount.Equal(dec("10000")))
	assert.True(t, svcs[0].Commission.Percent.Equal(dec("0.5")))
	assert.False(t, svcs[1].IsAvailable.Value)
	assert.True(t, svcs[1].Commission.FeeAmount.Equal(dec("0.3")))

	got := f.only(t)
	assert.Equal(t, heleket.PathServices, got.Path)
	assert.Empty(t, got.Body)
	assert.Equal(t, "aa9374b789448d12b75bcbf7413e6e72", got.Sign, "md5(api_key), see sign_test.go")
}

func TestCalc(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":{"commission":"1.00000000","merchant_amount":"11.00000000","payout_amount":10}}`))
	c := newClient(t, f.URL)
	r, err := c.Calc(context.Background(), heleket.CalcRequest{Amount: "10", Currency: "USDT", Address: "TXYZ1234567890abcdefghijklmnopqrs", Network: "tron", IsSubtract: true})
	require.NoError(t, err)
	assert.True(t, r.Commission.Equal(dec("1")))
	assert.True(t, r.MerchantAmount.Equal(dec("11")))
	assert.True(t, r.PayoutAmount.Equal(dec("10")))
	got := f.only(t)
	assert.Equal(t, heleket.PathCalc, got.Path)
	assert.True(t, got.SignValid)
}

func TestTestWebhookAcceptsEmptyArrayResult(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":[]}`))
	c := newClient(t, f.URL)
	err := c.TestWebhook(context.Background(), heleket.TestWebhookRequest{URLCallback: "https://example.com/hook", Currency: "USDT", Network: "tron", Status: "paid"})
	require.NoError(t, err)
	got := f.only(t)
	assert.Equal(t, heleket.PathTestWebhook, got.Path)
	assert.True(t, got.SignValid)
	assert.Contains(t, string(got.Body), `"url_callback":"https://example.com/hook"`)
}

func TestBaseURLPathPrefixIsKept(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":[]}`))
	c := newClient(t, f.URL+"/heleket/")
	_, err := c.Services(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "/heleket/v1/payout/services", f.only(t).Path)
}

func TestErrorClassification(t *testing.T) {
	type check func(t *testing.T, err error)
	isValidation := func(fields ...string) check {
		return func(t *testing.T, err error) {
			var ve *heleket.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, heleket.PathCreatePayout, ve.Endpoint)
			for _, f := range fields {
				assert.NotEmpty(t, ve.Errors[f], "field %s", f)
			}
		}
	}
	isRefusal := func(msg string, status int) check {
		return func(t *testing.T, err error) {
			var re *heleket.RefusalError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, msg, re.Message)
			assert.Equal(t, status, re.HTTPStatus)
		}
	}
	isAuth := func(status int) check {
		return func(t *testing.T, err error) {
			var ae *heleket.AuthError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, status, ae.HTTPStatus)
		}
	}
	isServer := func(status int) check {
		return func(t *testing.T, err error) {
			var se *heleket.ServerError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, status, se.HTTPStatus)
		}
	}
	isEndpoint := func(status int) check {
		return func(t *testing.T, err error) {
			var ee *heleket.EndpointError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, status, ee.HTTPStatus)
			assert.Equal(t, heleket.PathCreatePayout, ee.Endpoint)
			assert.Contains(t, err.Error(), "HELEKET_PROJECT_URL", "tells the operator what to check")
		}
	}
	isMalformed := func(status int) check {
		return func(t *testing.T, err error) {
			var me *heleket.MalformedError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, status, me.HTTPStatus)
		}
	}
	isRateLimit := func(after time.Duration, ok bool) check {
		return func(t *testing.T, err error) {
			var rl *heleket.RateLimitError
			require.ErrorAs(t, err, &rl)
			d, gotOK := heleket.RetryAfter(err)
			assert.Equal(t, ok, gotOK)
			assert.Equal(t, after, d)
		}
	}

	cases := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		check     check
		retryable bool
	}{
		{"422 validation", 422, nil, `{"state":1,"errors":{"amount":["validation.required"],"order_id":["validation.max.string","validation.alpha_dash"]}}`, isValidation("amount", "order_id"), false},
		{"422 validation, single-string values", 422, nil, `{"state":1,"errors":{"network":"validation.required"}}`, isValidation("network"), false},
		{"200 state 1 with errors", 200, nil, `{"state":1,"errors":{"currency":["validation.required"]}}`, isValidation("currency"), false},
		{"422 refusal insufficient balance", 422, nil, `{"state":1,"message":"Insufficient funds on the balance"}`, isRefusal("Insufficient funds on the balance", 422), false},
		{"200 state 1 forbidden", 200, nil, `{"state":1,"message":"You are forbidden"}`, isRefusal("You are forbidden", 200), false},
		{"state as string", 200, nil, `{"state":"1","message":"You are forbidden"}`, isRefusal("You are forbidden", 200), false},
		{"422 state 1 without message", 422, nil, `{"state":1}`, isRefusal("", 422), false},
		{"401 Invalid Sign.", 401, nil, `{"state":1,"message":"Invalid Sign."}`, isAuth(401), true},
		{"422 Invalid Sign.", 422, nil, `{"state":1,"message":"Invalid Sign."}`, isAuth(422), true},
		{"200 state 1 Invalid Sign.", 200, nil, `{"state":1,"message":"Invalid Sign."}`, isAuth(200), true},
		{"403 no body", 403, nil, ``, isAuth(403), true},
		{"403 JSON business-looking message", 403, nil, `{"state":1,"message":"You are forbidden"}`, isAuth(403), true},
		{"404 Laravel JSON", 404, nil, `{"message":"Not found"}`, isEndpoint(404), true},
		{"404 envelope with message", 404, nil, `{"state":1,"message":"Not found"}`, isEndpoint(404), true},
		{"404 validation-shaped", 404, nil, `{"state":1,"errors":{"amount":["validation.required"]}}`, isEndpoint(404), true},
		{"404 html", 404, nil, `<html>Not Found</html>`, isEndpoint(404), true},
		{"400 html", 400, nil, `<html>Bad Request</html>`, isEndpoint(400), true},
		{"400 JSON message", 400, nil, `{"state":1,"message":"Bad request"}`, isEndpoint(400), true},
		{"405 JSON message", 405, nil, `{"message":"The POST method is not supported for this route."}`, isEndpoint(405), true},
		{"409 JSON message", 409, nil, `{"state":1,"message":"Conflict"}`, isEndpoint(409), true},
		{"410 JSON errors", 410, nil, `{"state":1,"errors":{"order_id":["validation.unique"]}}`, isEndpoint(410), true},
		{"418 empty", 418, nil, ``, isEndpoint(418), true},
		{"301 with a success body", 301, map[string]string{"Location": "https://elsewhere.example/v1/payout"}, `{"state":0,"result":{"uuid":"u","status":"process"}}`, isEndpoint(301), true},
		{"422 html", 422, nil, `<html>Unprocessable</html>`, isMalformed(422), true},
		{"422 envelope that says success", 422, nil, `{"state":0,"result":[]}`, isMalformed(422), true},
		{"422 empty object", 422, nil, `{}`, isMalformed(422), true},
		{"429 Retry-After seconds", 429, map[string]string{"Retry-After": "3"}, `{"message":"Too Many Attempts."}`, isRateLimit(3*time.Second, true), true},
		{"429 without Retry-After", 429, nil, ``, isRateLimit(0, false), true},
		{"429 unparseable Retry-After", 429, map[string]string{"Retry-After": "later"}, ``, isRateLimit(0, false), true},
		{"500", 500, nil, `{"state":1,"message":"Server Error"}`, isServer(500), true},
		{"500 Invalid Sign.", 500, nil, `{"state":1,"message":"Invalid Sign."}`, isServer(500), true},
		{"503 validation-shaped", 503, nil, `{"state":1,"errors":{"amount":["validation.required"]}}`, isServer(503), true},
		{"502 html", 502, nil, `<html>Bad Gateway</html>`, isServer(502), true},
		{"200 html", 200, nil, `<html>OK</html>`, isMalformed(200), true},
		{"200 malformed JSON", 200, nil, `{"state":0,"result":{"uuid":`, isMalformed(200), true},
		{"200 null body", 200, nil, `null`, isMalformed(200), true},
		{"200 without result", 200, nil, `{"state":0}`, isMalformed(200), true},
		{"200 result of the wrong shape", 200, nil, `{"state":0,"result":[]}`, isMalformed(200), true},
		{"200 amount not a decimal", 200, nil, `{"state":0,"result":{"uuid":"u","amount":"ten"}}`, isMalformed(200), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, requestKey, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			c := newClient(t, f.URL)
			_, err := c.CreatePayout(context.Background(), heleket.CreatePayoutRequest{
				Amount: "100.50", Currency: "USDT", OrderID: "ord-1001",
				Address: "TXYZ1234567890abcdefghijklmnopqrs", IsSubtract: true, Network: "tron",
			})
			require.Error(t, err)
			tc.check(t, err)
			assert.Equal(t, tc.retryable, heleket.IsRetryable(err))
			var (
				ve *heleket.ValidationError
				re *heleket.RefusalError
			)
			rejects := errors.As(err, &ve) || errors.As(err, &re)
			assert.Equal(t, !tc.retryable, rejects, "only validation and refusal reject a payout")
			if rejects {
				assert.True(t, tc.status == 422 || tc.status/100 == 2, "only an explicit 422 or a 2xx state!=0 answer may reject (HTTP %d)", tc.status)
			}

			msg := err.Error()
			assert.Contains(t, msg, heleket.PathCreatePayout, "names the endpoint")
			assert.NotContains(t, msg, requestKey)
			assert.NotContains(t, msg, requestSign)
			assert.NotContains(t, msg, "TXYZ1234567890abcdefghijklmnopqrs", "no wallet address")
		})
	}
}

func TestRefusalMessageRedactsAddressLikeTokens(t *testing.T) {
	f := newFake(t, requestKey, reply(422, `{"state":1,"message":"Address TXYZ1234567890abcdefghijklmnopqrs is blocked"}`))
	_, err := newClient(t, f.URL).CreatePayout(context.Background(), heleket.CreatePayoutRequest{OrderID: "o"})
	var re *heleket.RefusalError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Message, "TXYZ1234567890abcdefghijklmnopqrs", "the field keeps the full message for code")
	assert.NotContains(t, err.Error(), "TXYZ1234567890abcdefghijklmnopqrs", "the log line does not")
	assert.Contains(t, err.Error(), "is blocked")
}

func TestConnectionRefusedIsRetryableTransportError(t *testing.T) {
	// Take a free port, then close it, so nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	c := newClient(t, "http://"+addr)
	_, err = c.Services(context.Background())
	var te *heleket.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, heleket.PathServices, te.Endpoint)
	assert.True(t, heleket.IsRetryable(err))
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "Unwrap exposes the network error")
	assert.Contains(t, err.Error(), "heleket /v1/payout/services: transport error")
	assert.NotContains(t, err.Error(), "http://", "the request URL stays out of the message")
}

// hangingServer accepts requests and never answers until the client goes
// away or the test ends. started receives each request as it arrives.
func hangingServer(t *testing.T) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	started := make(chan struct{}, 4)
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s, started
}

func TestPerCallTimeoutIsRetryable(t *testing.T) {
	s, _ := hangingServer(t)
	c := newClient(t, s.URL, func(c *heleket.Config) { c.Timeout = 50 * time.Millisecond })

	_, err := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "ord-1"})
	var te *heleket.TransportError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, heleket.ErrCallTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, heleket.IsRetryable(err))
}

func TestCallerCancellationIsNotRetryable(t *testing.T) {
	s, started := hangingServer(t)
	c := newClient(t, s.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started // cancel only once the request is in flight
		cancel()
	}()

	_, err := c.PayoutInfo(ctx, heleket.InfoRequest{OrderID: "ord-1"})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	var te *heleket.TransportError
	assert.False(t, errors.As(err, &te), "the caller stopping is not a transport failure")
	assert.False(t, heleket.IsRetryable(err))
}

func TestCallerDeadlineIsNotRetryable(t *testing.T) {
	s, _ := hangingServer(t)
	c := newClient(t, s.URL) // per-call timeout 15s, far beyond the caller's
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	_, err := c.PayoutInfo(ctx, heleket.InfoRequest{OrderID: "ord-1"})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, heleket.ErrCallTimeout)
	assert.False(t, heleket.IsRetryable(err))
}

// hijackServer lets a handler misbehave at the TCP level.
func hijackServer(t *testing.T, misbehave func(conn net.Conn, rw io.Writer)) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("httptest server cannot hijack")
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			panic(err)
		}
		misbehave(conn, buf)
		_ = buf.Flush()
		_ = conn.Close()
	}))
	t.Cleanup(s.Close)
	return s
}

func TestConnectionClosedWithoutResponse(t *testing.T) {
	s := hijackServer(t, func(net.Conn, io.Writer) {})
	_, err := newClient(t, s.URL).Services(context.Background())
	var te *heleket.TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, heleket.IsRetryable(err))
}

func TestTruncatedBodyIsTransportError(t *testing.T) {
	s := hijackServer(t, func(_ net.Conn, w io.Writer) {
		_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"state\":0,")
	})
	_, err := newClient(t, s.URL).Services(context.Background())
	var te *heleket.TransportError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.True(t, heleket.IsRetryable(err))
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	other := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":[]}`))
	f := newFake(t, requestKey, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	_, err := newClient(t, f.URL).Services(context.Background())
	require.Error(t, err, "a redirect is not a success")
	other.mu.Lock()
	defer other.mu.Unlock()
	assert.Empty(t, other.reqs, "signed headers must not travel to another host")
}

func TestNewValidatesConfig(t *testing.T) {
	ok := heleket.Config{BaseURL: "https://api.heleket.com", MerchantID: testMerchant, APIKey: requestKey}
	_, err := heleket.New(ok)
	require.NoError(t, err)

	cases := map[string]func(*heleket.Config){
		"empty base URL":   func(c *heleket.Config) { c.BaseURL = "" },
		"unparseable URL":  func(c *heleket.Config) { c.BaseURL = "http://[::1" },
		"no scheme":        func(c *heleket.Config) { c.BaseURL = "api.heleket.com" },
		"ftp scheme":       func(c *heleket.Config) { c.BaseURL = "ftp://api.heleket.com" },
		"no host":          func(c *heleket.Config) { c.BaseURL = "https://" },
		"query in URL":     func(c *heleket.Config) { c.BaseURL = "https://api.heleket.com/?x=1" },
		"empty merchant":   func(c *heleket.Config) { c.MerchantID = " " },
		"empty key":        func(c *heleket.Config) { c.APIKey = "" },
		"negative timeout": func(c *heleket.Config) { c.Timeout = -time.Second },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			mod(&cfg)
			_, err := heleket.New(cfg)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), requestKey)
		})
	}
}

func TestIsRetryableOnForeignErrors(t *testing.T) {
	assert.False(t, heleket.IsRetryable(nil))
	assert.False(t, heleket.IsRetryable(errors.New("boom")))
	assert.False(t, heleket.IsRetryable(context.Canceled))
	assert.True(t, heleket.IsRetryable(&heleket.ServerError{Endpoint: "/x", HTTPStatus: 503}))
	wrapped := errors.Join(errors.New("activity"), &heleket.RateLimitError{Endpoint: "/x", RetryAfter: time.Second})
	assert.True(t, heleket.IsRetryable(wrapped), "found through wrapping")
	d, ok := heleket.RetryAfter(wrapped)
	assert.True(t, ok)
	assert.Equal(t, time.Second, d)
	_, ok = heleket.RetryAfter(errors.New("boom"))
	assert.False(t, ok)
}

func TestValidationErrorMessageIsStable(t *testing.T) {
	err := &heleket.ValidationError{Endpoint: heleket.PathCreatePayout, Errors: map[string][]string{
		"order_id": {"validation.required"}, "amount": {"validation.required", "validation.numeric"},
	}}
	assert.Equal(t, "heleket /v1/payout: validation failed: amount=validation.required|validation.numeric, order_id=validation.required", err.Error())
	assert.True(t, strings.HasPrefix((&heleket.AuthError{Endpoint: "/v1/payout", HTTPStatus: 401}).Error(), "heleket /v1/payout: authentication rejected"))
}

func TestNeedsOperator(t *testing.T) {
	operator := []error{
		&heleket.AuthError{Endpoint: "/v1/payout", HTTPStatus: 401},
		&heleket.EndpointError{Endpoint: "/v1/payout", HTTPStatus: 404},
		fmt.Errorf("submit: %w", &heleket.EndpointError{Endpoint: "/v1/payout", HTTPStatus: 405}),
	}
	for _, err := range operator {
		assert.True(t, heleket.NeedsOperator(err), "%v", err)
		assert.True(t, heleket.IsRetryable(err), "configuration is fixed by an operator, then the same call succeeds: %v", err)
	}
	for _, err := range []error{
		nil, errors.New("boom"), context.Canceled,
		&heleket.ServerError{Endpoint: "/x", HTTPStatus: 502},
		&heleket.MalformedError{Endpoint: "/x", HTTPStatus: 200, Reason: "result has no uuid"},
		&heleket.RateLimitError{Endpoint: "/x"},
		&heleket.TransportError{Endpoint: "/x", Err: io.ErrUnexpectedEOF},
		&heleket.RefusalError{Endpoint: "/x", Message: "You are forbidden", HTTPStatus: 422},
		&heleket.ValidationError{Endpoint: "/x"},
	} {
		assert.False(t, heleket.NeedsOperator(err), "%v", err)
	}
}

func TestEndpointErrorMessages(t *testing.T) {
	notFound := (&heleket.EndpointError{Endpoint: "/v1/payout/info", HTTPStatus: 404}).Error()
	assert.Equal(t, "heleket /v1/payout/info: endpoint not found (HTTP 404): check HELEKET_PROJECT_URL (base URL or route)", notFound)
	other := (&heleket.EndpointError{Endpoint: "/v1/payout", HTTPStatus: 405}).Error()
	assert.Equal(t, "heleket /v1/payout: unexpected HTTP status 405: check HELEKET_PROJECT_URL (base URL or route)", other)
}

// An oversized body is read no further, and its status still decides.
func TestOversizedBodyIsClassifiedByStatus(t *testing.T) {
	huge := strings.Repeat(" ", 8<<20+1)
	for status, check := range map[int]func(error) bool{
		200: func(err error) bool { var me *heleket.MalformedError; return errors.As(err, &me) },
		404: func(err error) bool { var ee *heleket.EndpointError; return errors.As(err, &ee) },
		401: func(err error) bool { var ae *heleket.AuthError; return errors.As(err, &ae) },
		422: func(err error) bool { var me *heleket.MalformedError; return errors.As(err, &me) },
	} {
		f := newFake(t, requestKey, reply(status, huge))
		_, err := newClient(t, f.URL).Services(context.Background())
		assert.True(t, check(err), "HTTP %d: %v", status, err)
		assert.True(t, heleket.IsRetryable(err))
	}
}

// With neither calc route found, the caller gets the EndpointError that
// points the operator at the base URL, after one try of each route.
func TestCalcWithNeitherRouteFound(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusNotFound, `{"message":"Not found"}`))
	_, err := newClient(t, f.URL).Calc(context.Background(), heleket.CalcRequest{Amount: "10", Currency: "USDT", Network: "tron"})
	var ee *heleket.EndpointError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, http.StatusNotFound, ee.HTTPStatus)
	assert.True(t, heleket.NeedsOperator(err))
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.reqs, 2)
	assert.Equal(t, heleket.PathCalc, f.reqs[0].Path)
	assert.Equal(t, heleket.PathCalculate, f.reqs[1].Path)
}
